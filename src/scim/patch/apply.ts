/**
 * Applies PATCH operations to a stored document.
 *
 * scim-patch does the RFC 7644 §3.5.2 work on paths (value filters, add-if-missing,
 * replace-or-add, removal by filter). Around it we own the identity-provider quirks:
 * every path and value is first canonicalised against our schema (names in any case,
 * unquoted filter values, read-only targets such as Okta's `id` dropped, values coerced to
 * the attribute's type, which also keeps foreign keys like "__proto__" out), path-less
 * values with dotted and URN keys (Entra) become one operation per key, and "remove with a
 * value list" becomes removal by value. The result is normalised again, so string booleans
 * and the like end up typed.
 */
import { stringify } from 'scim2-parse-filter';
import { scimPatch, ScimPatchOperation, ScimResource, NoTarget } from 'scim-patch';
import { badRequest } from '../errors';
import { parseScimFilter, Filter } from '../filter/parse';
import { AttributeDefinition, ResourceTypeDefinition } from '../schema/definitions';
import { coerceAttribute, isPlainObject, normalizeResource, ScimObject } from '../schema/normalize';
import { findAttribute, findQualified, splitSchemaPrefix } from '../schema/paths';
import { PatchOperation } from './request';

interface Target {
  /** Canonical path for scim-patch. */
  path: string;
  attribute: AttributeDefinition;
  /** Set when the path selects elements of a multi-valued attribute. */
  filtered: boolean;
  subAttribute?: AttributeDefinition;
}

const PATH = /^([^[\].]+)(?:\[(.*)\])?(?:\.([^[\].]+))?$/s;

export function applyAttributeOperations(
  type: ResourceTypeDefinition,
  doc: ScimObject,
  operations: PatchOperation[],
): ScimObject {
  const expanded = operations.flatMap((operation) => expand(type, operation));
  if (expanded.length === 0) return doc;
  const resource = {
    schemas: [type.schema.id],
    meta: {},
    ...structuredClone(doc),
  } as unknown as ScimResource;
  let patched: ScimResource;
  try {
    patched = scimPatch(resource, expanded, { mutateDocument: true, treatMissingAsAdd: true });
  } catch (error) {
    if (error instanceof NoTarget) throw badRequest('noTarget', error.message);
    throw badRequest('invalidValue', `The PATCH could not be applied: ${(error as Error).message}`);
  }
  return normalizeResource(type, patched);
}

/** One client operation as zero or more canonical scim-patch operations. */
function expand(type: ResourceTypeDefinition, operation: PatchOperation): ScimPatchOperation[] {
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
      !target.filtered &&
      !target.subAttribute
    ) {
      // Entra: {"op":"Remove","path":"emails","value":[{"value":"x"}]} removes those values.
      return removalsByValue(target, operation.value);
    }
    return [{ op: 'remove', path: target.path }];
  }
  const value = coerceForTarget(target, operation.value);
  if (value === undefined) {
    // Replacing with null is removing (RFC 7644 §3.5.2.3 treats null as unassigned).
    return operation.op === 'replace' ? [{ op: 'remove', path: target.path }] : [];
  }
  return [{ op: operation.op, path: target.path, value }];
}

function removalsByValue(target: Target, value: unknown): ScimPatchOperation[] {
  const items = Array.isArray(value) ? value : [value];
  return items.flatMap((item) => {
    const wanted = isPlainObject(item) ? item.value : item;
    if (typeof wanted !== 'string' && typeof wanted !== 'number' && typeof wanted !== 'boolean') return [];
    return [{ op: 'remove' as const, path: `${target.path}[value eq ${JSON.stringify(wanted)}]` }];
  });
}

function coerceForTarget(target: Target, value: unknown): unknown {
  const { attribute, subAttribute } = target;
  const where = target.path;
  if (subAttribute) return coerceAttribute({ ...subAttribute, multiValued: false }, value, where);
  if (target.filtered) return coerceAttribute({ ...attribute, multiValued: false }, value, where);
  return coerceAttribute(attribute, value, where);
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
  let canonical = attribute.name;
  if (filterText !== undefined) {
    if (attribute.type !== 'complex' || !attribute.multiValued) {
      throw badRequest('invalidPath', `"${attribute.name}" is not a multi-valued complex attribute.`);
    }
    canonical += `[${stringify(canonicalFilter(attribute, parseScimFilter(filterText)))}]`;
  }
  if (subAttribute) canonical += `.${subAttribute.name}`;
  if (extension) canonical = `${extension}:${canonical}`;
  return { path: canonical, attribute, filtered: filterText !== undefined, subAttribute };
}

/** Sub-attribute names in a value filter, spelled as the schema spells them. */
function canonicalFilter(attribute: AttributeDefinition, filter: Filter): Filter {
  switch (filter.op) {
    case 'and':
    case 'or':
      return { ...filter, filters: filter.filters.map((f) => canonicalFilter(attribute, f)) };
    case 'not':
      return { ...filter, filter: canonicalFilter(attribute, filter.filter) };
    case '[]':
      throw badRequest('invalidPath', 'Nested value filters are not supported.');
    default: {
      const sub = findAttribute(attribute.subAttributes, filter.attrPath);
      if (!sub) {
        throw badRequest('invalidPath', `Unknown sub-attribute "${filter.attrPath}" of "${attribute.name}".`);
      }
      return { ...filter, attrPath: sub.name };
    }
  }
}
