/**
 * Applies PATCH operations (RFC 7644 §3.5.2) to a stored document.
 *
 * Every path and value is first canonicalised against our schema: attribute names in any
 * case, unquoted filter values, read-only targets such as Okta's `id` dropped, values coerced
 * to the attribute's type (which also keeps foreign keys like "__proto__" out). Path-less
 * values with dotted and URN keys (Entra) become one operation per key, and "remove with a
 * value list" becomes removal by value.
 *
 * Plain paths (`active`, `name.givenName`, `emails`, `urn:…:department`) are applied by
 * scim-patch. Value-filter paths (`emails[type eq "work"].value`) are applied here, because
 * their filter must honour each sub-attribute's caseExact (scim-patch compares exactly) and
 * because Entra expects add or replace on a filter that matches nothing to create the value.
 * The result is normalised again, so string booleans and the like end up typed.
 */
import { scimPatch, ScimPatchOperation, ScimResource, NoTarget } from 'scim-patch';
import { badRequest } from '../errors';
import { compileElementFilter } from '../filter/evaluate';
import { parseScimFilter, Filter } from '../filter/parse';
import { AttributeDefinition, ResourceTypeDefinition } from '../schema/definitions';
import {
  coerceAttribute,
  ensureObject,
  isPlainObject,
  normalizeResource,
  ScimObject,
} from '../schema/normalize';
import { findAttribute, findQualified, splitSchemaPrefix } from '../schema/paths';
import { PatchOp, PatchOperation } from './request';

interface ValueFilter {
  /** Whether an element of the multi-valued attribute matches. */
  matches: (element: ScimObject) => boolean;
  /** For `type eq "work" [and …]`: the sub-attributes a newly created value gets. */
  seed?: ScimObject;
}

interface Target {
  /** Canonical path (plain paths only are handed to scim-patch). */
  path: string;
  attribute: AttributeDefinition;
  extension?: string;
  filter?: ValueFilter;
  subAttribute?: AttributeDefinition;
}

interface Step {
  op: PatchOp;
  target: Target;
  value?: unknown;
}

const PATH = /^([^[\].]+)(?:\[(.*)\])?(?:\.([^[\].]+))?$/s;

export function applyAttributeOperations(
  type: ResourceTypeDefinition,
  doc: ScimObject,
  operations: PatchOperation[],
): ScimObject {
  const steps = operations.flatMap((operation) => expand(type, operation));
  if (steps.length === 0) return doc;
  const resource: ScimObject = { schemas: [type.schema.id], meta: {}, ...structuredClone(doc) };
  for (const step of steps) {
    if (step.target.filter) applyFiltered(resource, step);
    else applyPlain(resource, step);
  }
  preferNewPrimaries(doc, resource);
  return normalizeResource(type, resource);
}

function applyPlain(resource: ScimObject, step: Step): void {
  const operation = { op: step.op, path: step.target.path, value: step.value } as ScimPatchOperation;
  try {
    scimPatch(resource as unknown as ScimResource, [operation], {
      mutateDocument: true,
      treatMissingAsAdd: true,
    });
  } catch (error) {
    if (error instanceof NoTarget) throw badRequest('noTarget', error.message);
    throw badRequest('invalidValue', `The PATCH could not be applied: ${(error as Error).message}`);
  }
}

/** add / replace / remove on `attr[filter]` or `attr[filter].sub`. */
function applyFiltered(resource: ScimObject, { op, target, value }: Step): void {
  const filter = target.filter as ValueFilter;
  const name = target.attribute.name;
  const container = target.extension ? ensureObject(resource, target.extension) : resource;
  const current = container[name];
  const list = (Array.isArray(current) ? current : []).filter(isPlainObject);
  const matching = list.filter(filter.matches);
  const sub = target.subAttribute?.name;

  if (op === 'remove') {
    if (sub) for (const element of matching) delete element[sub];
    else container[name] = list.filter((element) => !matching.includes(element));
    return;
  }
  if (matching.length === 0) {
    // Entra adds (or replaces) `emails[type eq "work"].value` before any work e-mail exists.
    if (!filter.seed) throw badRequest('noTarget', `No value of "${name}" matches ${target.path}.`);
    const element: ScimObject = { ...filter.seed };
    if (sub) element[sub] = value;
    else if (isPlainObject(value)) Object.assign(element, value);
    else element.value = value;
    container[name] = [...list, element];
    return;
  }
  for (const element of matching) {
    if (sub) element[sub] = value;
    else if (isPlainObject(value)) Object.assign(element, value);
    else
      throw badRequest(
        'invalidValue',
        `"${target.path}" selects complex values; the value must be an object.`,
      );
  }
}

/**
 * RFC 7644 §3.5.2: a PATCH that sets a value's "primary" to true makes the others false.
 * (Normalisation otherwise keeps the first primary, which would undo the PATCH.)
 */
function preferNewPrimaries(before: ScimObject, after: ScimObject): void {
  for (const [name, value] of Object.entries(after)) {
    if (!Array.isArray(value)) continue;
    const primaries = value.filter((e) => isPlainObject(e) && isTrue(e.primary)) as ScimObject[];
    if (primaries.length < 2) continue;
    const previous = Array.isArray(before[name]) ? (before[name] as unknown[]) : [];
    const wasPrimary = new Set(
      previous
        .filter((e) => isPlainObject(e) && isTrue(e.primary))
        .map((e) => JSON.stringify((e as ScimObject).value)),
    );
    const winner = primaries.find((e) => !wasPrimary.has(JSON.stringify(e.value))) ?? primaries[0];
    for (const element of primaries) if (element !== winner) element.primary = false;
  }
}

const isTrue = (value: unknown) =>
  value === true || (typeof value === 'string' && value.toLowerCase() === 'true');

/** One client operation as zero or more canonical steps. */
function expand(type: ResourceTypeDefinition, operation: PatchOperation): Step[] {
  if (operation.path === undefined) {
    if (!isPlainObject(operation.value)) {
      throw badRequest('invalidValue', `A path-less "${operation.op}" needs an object value.`);
    }
    return Object.entries(operation.value).flatMap(([key, value]) => {
      const extension = type.extensions.find((e) => e.id.toLowerCase() === key.toLowerCase());
      if (extension && isPlainObject(value)) {
        return Object.entries(value).flatMap(([name, inner]) =>
          expand(type, { op: operation.op, path: `${extension.id}:${name}`, value: inner }),
        );
      }
      return expand(type, { op: operation.op, path: key, value });
    });
  }
  const target = resolveTarget(type, operation.path);
  // Unknown and read-only attributes are ignored, as they are in a POST or PUT body.
  if (!target || target.attribute.mutability === 'readOnly') return [];
  if (target.subAttribute?.mutability === 'readOnly') return [];

  if (operation.op === 'remove') {
    if (
      operation.value !== undefined &&
      target.attribute.multiValued &&
      !target.filter &&
      !target.subAttribute
    ) {
      // Entra: {"op":"Remove","path":"emails","value":[{"value":"x"}]} removes those values.
      return removalsByValue(target, operation.value);
    }
    return [{ op: 'remove', target }];
  }
  const value = coerceForTarget(target, operation.value);
  if (value === undefined) {
    // Replacing with null is removing (RFC 7644 §3.5.2.3 treats null as unassigned).
    return operation.op === 'replace' ? [{ op: 'remove', target }] : [];
  }
  return [{ op: operation.op, target, value }];
}

function removalsByValue(target: Target, value: unknown): Step[] {
  const items = Array.isArray(value) ? value : [value];
  return items.flatMap((item) => {
    const wanted = isPlainObject(item) ? item.value : item;
    if (typeof wanted !== 'string' && typeof wanted !== 'number' && typeof wanted !== 'boolean') return [];
    const filter = valueFilter(target.attribute, `value eq ${JSON.stringify(wanted)}`);
    return [{ op: 'remove' as const, target: { ...target, filter } }];
  });
}

function coerceForTarget(target: Target, value: unknown): unknown {
  const { attribute, subAttribute } = target;
  if (subAttribute) return coerceAttribute({ ...subAttribute, multiValued: false }, value, target.path);
  if (target.filter) return coerceAttribute({ ...attribute, multiValued: false }, value, target.path);
  return coerceAttribute(attribute, value, target.path);
}

export function resolveTarget(type: ResourceTypeDefinition, path: string): Target | undefined {
  const split = splitSchemaPrefix(type, path);
  if (!split) return undefined;
  const match = PATH.exec(split.rest);
  if (!match) throw badRequest('invalidPath', `"${path}" is not a valid attribute path.`);
  const [, name, filterText, subName] = match;
  const found = findQualified(type, split.schema, split.extension, name);
  if (!found) return undefined;
  const { attribute, extension } = found;
  let subAttribute: AttributeDefinition | undefined;
  if (subName !== undefined) {
    subAttribute = findAttribute(attribute.subAttributes, subName);
    if (!subAttribute) return undefined;
  }
  let filter: ValueFilter | undefined;
  if (filterText !== undefined) {
    if (attribute.type !== 'complex' || !attribute.multiValued) {
      throw badRequest('invalidPath', `"${attribute.name}" is not a multi-valued complex attribute.`);
    }
    filter = valueFilter(attribute, filterText);
  }
  let canonical = attribute.name;
  if (filterText !== undefined) canonical += `[${filterText}]`;
  if (subAttribute) canonical += `.${subAttribute.name}`;
  if (extension) canonical = `${extension}:${canonical}`;
  return { path: canonical, attribute, extension, filter, subAttribute };
}

function valueFilter(attribute: AttributeDefinition, text: string): ValueFilter {
  const parsed = parseScimFilter(text);
  return { matches: compileElementFilter(attribute, parsed), seed: equalities(attribute, parsed) };
}

/** `type eq "work" and primary eq true` → {type: "work", primary: true}; else undefined. */
function equalities(attribute: AttributeDefinition, filter: Filter): ScimObject | undefined {
  if (filter.op === 'and') {
    const parts = filter.filters.map((f) => equalities(attribute, f));
    return parts.every((p) => p !== undefined) ? Object.assign({}, ...parts) : undefined;
  }
  if (filter.op !== 'eq' || filter.compValue === null) return undefined;
  const sub = findAttribute(attribute.subAttributes, filter.attrPath);
  return sub ? { [sub.name]: filter.compValue } : undefined;
}
