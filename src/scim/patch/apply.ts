/**
 * Applies PATCH operations (RFC 7644 §3.5.2) to a stored document.
 *
 * Every path and value is first canonicalised against our schema: attribute names in any
 * case, unquoted filter values, read-only targets such as Okta's `id` dropped, values coerced
 * to the attribute's type (which also keeps foreign keys like "__proto__" out). Path-less
 * values with dotted and URN keys (Entra) become one operation per key, and "remove with a
 * value list" becomes removal by value.
 *
 * A path must name an attribute of one of the resource type's schemas (or of an extension we
 * do not define, whose values are kept as sent: see normalize.ts): an unknown attribute,
 * sub-attribute or value-filter attribute is a 400 invalidPath naming the path (RFC 7644
 * §3.5.2, §3.12), since answering 204 would tell the client a value was stored. The keys of a
 * path-less value are read like a POST or PUT body, where unknown attributes are dropped.
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
  checkValueCount,
  coerceAttribute,
  ensureObject,
  isPlainObject,
  normalizeResource,
  ScimObject,
  setInUnknownExtension,
} from '../schema/normalize';
import {
  ATTRIBUTE_NAME,
  findAttribute,
  findQualified,
  isUnknownExtension,
  splitSchemaPrefix,
  splitUnknownExtensionPath,
  UnknownExtensionPath,
} from '../schema/paths';
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

type Step =
  | { op: PatchOp; target: Target; value?: unknown }
  | { op: PatchOp; unknownExtension: UnknownExtensionPath; value?: unknown };

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
    if ('unknownExtension' in step) {
      setInUnknownExtension(resource, step.op, step.unknownExtension, step.value);
    } else if (step.target.filter) {
      applyFiltered(resource, step);
    } else {
      applyPlain(resource, step);
    }
  }
  preferNewPrimaries(doc, resource);
  return normalizeResource(type, resource);
}

type DefinedStep = Extract<Step, { target: Target }>;

function applyPlain(resource: ScimObject, step: DefinedStep): void {
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
function applyFiltered(resource: ScimObject, { op, target, value }: DefinedStep): void {
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

/**
 * One client operation as zero or more canonical steps. `fromBody` marks the keys of a
 * path-less value, where unknown attributes are ignored as in a POST or PUT body.
 */
function expand(type: ResourceTypeDefinition, operation: PatchOperation, fromBody = false): Step[] {
  if (operation.path === undefined) {
    if (!isPlainObject(operation.value)) {
      throw badRequest('invalidValue', `A path-less "${operation.op}" needs an object value.`);
    }
    return Object.entries(operation.value).flatMap(([key, value]) => {
      const extension = type.extensions.find((e) => e.id.toLowerCase() === key.toLowerCase());
      const urn = extension?.id ?? (isUnknownExtension(key) ? key : undefined);
      if (urn !== undefined && isPlainObject(value)) {
        // Under an unknown URN a name must be an attribute name: "a:b" would read as another URN.
        return Object.entries(value)
          .filter(([name]) => extension || ATTRIBUTE_NAME.test(name))
          .flatMap(([name, inner]) =>
            expand(type, { op: operation.op, path: `${urn}:${name}`, value: inner }, true),
          );
      }
      return expand(type, { op: operation.op, path: key, value }, true);
    });
  }
  const unknownExtension = splitUnknownExtensionPath(operation.path);
  if (unknownExtension && 'invalid' in unknownExtension) {
    if (fromBody) return [];
    throw badRequest('invalidPath', `The path "${operation.path}" is invalid: ${unknownExtension.invalid}.`);
  }
  if (unknownExtension) return [{ op: operation.op, unknownExtension, value: operation.value }];
  const target = resolveTarget(type, operation.path, fromBody);
  // Read-only attributes are ignored, as they are in a POST or PUT body (RFC 7644 §3.5.2).
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
  // One filter step per value, each run over the stored list: bounded like the list itself.
  checkValueCount(target.attribute, items.length, target.path);
  return items.flatMap((item) => {
    const wanted = isPlainObject(item) ? item.value : item;
    if (typeof wanted !== 'string' && typeof wanted !== 'number' && typeof wanted !== 'boolean') return [];
    const filter = valueFilter(target.attribute, parseScimFilter(`value eq ${JSON.stringify(wanted)}`));
    return [{ op: 'remove' as const, target: { ...target, filter } }];
  });
}

function coerceForTarget(target: Target, value: unknown): unknown {
  const { attribute, subAttribute } = target;
  if (subAttribute) return coerceAttribute({ ...subAttribute, multiValued: false }, value, target.path);
  if (target.filter) return coerceAttribute({ ...attribute, multiValued: false }, value, target.path);
  return coerceAttribute(attribute, value, target.path);
}

/**
 * The attribute a path names. One that names no attribute of the resource type's schemas is
 * a 400 invalidPath (RFC 7644 §3.12: "The "path" attribute was invalid or malformed") naming
 * the path and the part that is unknown, or undefined when `lenient` (a path-less value's key).
 */
export function resolveTarget(
  type: ResourceTypeDefinition,
  path: string,
  lenient = false,
): Target | undefined {
  const unknown = (what: string): undefined => {
    if (lenient) return undefined;
    throw badRequest('invalidPath', `The path "${path}" is invalid: ${what} (see /Schemas).`);
  };
  const split = splitSchemaPrefix(type, path);
  if (!split) return unknown(`it is not under a schema of the ${type.name} resource type`);
  const match = PATH.exec(split.rest);
  if (!match) throw badRequest('invalidPath', `"${path}" is not a valid attribute path.`);
  const [, name, filterText, subName] = match;
  const found = findQualified(type, split.schema, split.extension, name);
  if (!found) {
    return unknown(
      split.extension
        ? `${split.extension} has no attribute "${name}"`
        : `no ${type.name} schema has an attribute "${name}"`,
    );
  }
  const { attribute, extension } = found;
  let subAttribute: AttributeDefinition | undefined;
  if (subName !== undefined) {
    subAttribute = findAttribute(attribute.subAttributes, subName);
    if (!subAttribute) return unknown(`"${attribute.name}" has no sub-attribute "${subName}"`);
  }
  let filter: ValueFilter | undefined;
  if (filterText !== undefined) {
    if (attribute.type !== 'complex' || !attribute.multiValued) {
      throw badRequest('invalidPath', `"${attribute.name}" is not a multi-valued complex attribute.`);
    }
    // A filter that does not parse stays invalidFilter (§3.12 lists it for PATCH paths); one
    // on a sub-attribute that does not exist names an unknown attribute, like the path itself.
    const parsed = parseScimFilter(filterText);
    const stranger = filterAttributes(parsed).find((p) => !findAttribute(attribute.subAttributes, p));
    if (stranger !== undefined)
      return unknown(`"${attribute.name}" has no sub-attribute "${stranger}" to filter on`);
    filter = valueFilter(attribute, parsed);
  }
  let canonical = attribute.name;
  if (filterText !== undefined) canonical += `[${filterText}]`;
  if (subAttribute) canonical += `.${subAttribute.name}`;
  if (extension) canonical = `${extension}:${canonical}`;
  return { path: canonical, attribute, extension, filter, subAttribute };
}

function valueFilter(attribute: AttributeDefinition, filter: Filter): ValueFilter {
  return { matches: compileElementFilter(attribute, filter), seed: equalities(attribute, filter) };
}

/** The attribute paths a filter compares. */
function filterAttributes(filter: Filter): string[] {
  switch (filter.op) {
    case 'and':
    case 'or':
      return filter.filters.flatMap(filterAttributes);
    case 'not':
      return filterAttributes(filter.filter);
    default:
      return [filter.attrPath];
  }
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
