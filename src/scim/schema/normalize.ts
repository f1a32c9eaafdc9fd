/**
 * Turns whatever an identity provider sent into the canonical stored form of a resource:
 * canonical attribute names, values of the declared type, multi-valued attributes as arrays,
 * nulls and unknown attributes dropped, read-only and write-only attributes ignored.
 *
 * This is where the "liberal in what you accept" quirks live: string booleans ("True"),
 * `emails` sent as a single object, a manager sent as a plain string, `"$ref": null`,
 * `displayName` used for a member's `display`, sub-attribute names in any case.
 *
 * Extension schemas we do not define (Entra's and Okta's custom extensions) are the one kind
 * of unknown attribute that is kept: as sent, under its URN, within SCIM's shapes. Dropping
 * them would tell the identity provider a value was stored when it was not; Entra compares
 * what a GET returns with its source and would then re-send the value in every update.
 */
import { badRequest } from '../errors';
import { MAX_MEMBERS_PER_REQUEST, MAX_VALUES_PER_ATTRIBUTE, tooLong } from '../limits';
import { AttributeDefinition, ResourceTypeDefinition, SchemaDefinition } from './definitions';
import {
  ATTRIBUTE_NAME,
  findAttribute,
  isUnknownExtension,
  resolvePath,
  splitSchemaPrefix,
  splitUnknownExtensionPath,
  UnknownExtensionPath,
} from './paths';

/**
 * A normalized SCIM resource, or any JSON object on its way to becoming one. A store keeps
 * documents of this shape (the directory declares the same shape for itself, document.ts).
 */
export type ScimObject = Record<string, unknown>;

/** Limits that keep one stored resource far below Forge's 240 KiB value limit. */
export const MAX_STRING_LENGTH = 16 * 1024;
export const MAX_RESOURCE_BYTES = 96 * 1024;

const IGNORED_TOP_LEVEL = new Set(['schemas', 'id', 'meta']);

export function isPlainObject(value: unknown): value is ScimObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Normalises a full resource representation (POST/PUT body, or a PATCH result).
 * Returns the stored document: core attributes and `externalId` at the top level,
 * extension attributes under their schema URN.
 */
export function normalizeResource(type: ResourceTypeDefinition, input: unknown): ScimObject {
  if (!isPlainObject(input)) {
    throw badRequest('invalidSyntax', 'The request body must be a JSON object.');
  }
  const doc: ScimObject = {};
  for (const [key, value] of Object.entries(input)) {
    if (IGNORED_TOP_LEVEL.has(key.toLowerCase())) continue;
    const extension = type.extensions.find((e) => e.id.toLowerCase() === key.toLowerCase());
    if (extension) {
      if (isPlainObject(value)) mergeExtension(doc, extension, value);
      continue;
    }
    if (isPlainObject(value) && isUnknownExtension(key)) {
      for (const [name, inner] of Object.entries(value)) {
        if (ATTRIBUTE_NAME.test(name)) setInUnknownExtension(doc, 'replace', { urn: key, name }, inner);
      }
      continue;
    }
    if (key.toLowerCase() === 'externalid') {
      const externalId = coercePrimitive('string', value, 'externalId');
      if (externalId !== undefined && externalId !== '') doc.externalId = externalId;
      continue;
    }
    setByPath(type, doc, key, value);
  }
  const size = Buffer.byteLength(JSON.stringify(doc), 'utf8');
  if (size > MAX_RESOURCE_BYTES) {
    throw badRequest(
      'invalidValue',
      `The resource is ${size} bytes; at most ${MAX_RESOURCE_BYTES} are accepted.`,
    );
  }
  return doc;
}

function mergeExtension(doc: ScimObject, extension: SchemaDefinition, value: ScimObject): void {
  const target: ScimObject = {};
  for (const [name, raw] of Object.entries(value)) {
    const definition = findAttribute(extension.attributes, name);
    if (!definition || !isClientWritable(definition)) continue;
    const coerced = coerceAttribute(definition, raw, `${extension.id}:${definition.name}`);
    if (coerced !== undefined) target[definition.name] = coerced;
  }
  if (Object.keys(target).length > 0) doc[extension.id] = target;
}

/**
 * Sets one attribute given by a (possibly dotted or URN-qualified) name. Unknown names are
 * ignored: identity providers send attributes they were configured to send, and refusing
 * them would put the whole provisioning job into quarantine.
 */
export function setByPath(type: ResourceTypeDefinition, doc: ScimObject, path: string, value: unknown): void {
  const split = splitSchemaPrefix(type, path);
  if (split?.extension && split.rest === '') {
    if (isPlainObject(value)) mergeExtension(doc, split.schema, value);
    return;
  }
  if (!split) {
    const unknown = splitUnknownExtensionPath(path);
    if (unknown && !('invalid' in unknown)) setInUnknownExtension(doc, 'replace', unknown, value);
    return;
  }
  const resolved = resolvePath(type, path);
  if (!resolved || !isClientWritable(resolved.attribute)) return;
  if (resolved.attribute.name === 'externalId' && !resolved.extension) {
    const externalId = coercePrimitive('string', value, 'externalId');
    if (externalId === undefined || externalId === '') delete doc.externalId;
    else doc.externalId = externalId;
    return;
  }
  const container = resolved.extension ? ensureObject(doc, resolved.extension) : doc;
  const attribute = resolved.attribute;
  if (!resolved.subAttribute) {
    const coerced = coerceAttribute(attribute, value, attribute.name);
    if (coerced === undefined) delete container[attribute.name];
    else container[attribute.name] = coerced;
  } else if (!attribute.multiValued) {
    const sub = resolved.subAttribute;
    if (!isClientWritable(sub)) return;
    const parent = ensureObject(container, attribute.name);
    const coerced = coerceAttribute(sub, value, `${attribute.name}.${sub.name}`);
    if (coerced === undefined) delete parent[sub.name];
    else parent[sub.name] = coerced;
    if (Object.keys(parent).length === 0) delete container[attribute.name];
  }
  if (resolved.extension && Object.keys(container).length === 0) delete doc[resolved.extension];
}

/**
 * add, replace or remove (RFC 7644 §3.5.2) one attribute of an extension we do not define.
 * Without a definition, "multi-valued" and "complex" are read off the stored value: add
 * appends to an array and merges into an object, replace merges into an object (§3.5.2.3:
 * sub-attributes not given are left unchanged), remove with a value takes those values out
 * of an array. Names match case-insensitively (RFC 7643 §2.1) and keep their first spelling.
 */
export function setInUnknownExtension(
  doc: ScimObject,
  op: 'add' | 'replace' | 'remove',
  target: UnknownExtensionPath,
  value: unknown,
): void {
  const key = keyLike(doc, target.urn);
  const extension = isPlainObject(doc[key]) ? (doc[key] as ScimObject) : {};
  const name = keyLike(extension, target.name);
  const { sub } = target;
  const path = `${target.urn}:${target.name}${sub !== undefined ? `.${sub}` : ''}`;
  let next: unknown;
  if (sub !== undefined) {
    // A sub-attribute of every value, as for a multi-valued attribute without a filter.
    const current = extension[name];
    const set = (element: unknown) => {
      const parent: ScimObject = isPlainObject(element) ? { ...element } : {};
      const key = keyLike(parent, sub);
      if (op === 'remove' || value === null) delete parent[key];
      else parent[key] = value;
      return parent;
    };
    next = Array.isArray(current) ? current.map(set) : set(current);
  } else {
    next = combine(op, extension[name], value);
  }
  const coerced = coerceUnknownValue(next, path, 'attribute');
  if (coerced === undefined) delete extension[name];
  else extension[name] = coerced;
  if (Object.keys(extension).length > 0) doc[key] = extension;
  else delete doc[key];
}

function combine(op: 'add' | 'replace' | 'remove', current: unknown, value: unknown): unknown {
  if (op === 'remove') {
    if (value === undefined || value === null || !Array.isArray(current)) return undefined;
    // A Set: a long removal list against a long stored one must not cost their product.
    const unwanted = new Set((Array.isArray(value) ? value : [value]).map((v) => JSON.stringify(valueOf(v))));
    return current.filter((element) => !unwanted.has(JSON.stringify(valueOf(element))));
  }
  if (value === null || value === undefined) return op === 'replace' ? undefined : current;
  if (op === 'add' && Array.isArray(current)) {
    return [...current, ...(Array.isArray(value) ? value : [value])];
  }
  if (isPlainObject(current) && isPlainObject(value)) return { ...current, ...value };
  return value;
}

/** A multi-valued element is identified by its "value" sub-attribute when it has one. */
const valueOf = (element: unknown): unknown =>
  isPlainObject(element) && element.value !== undefined ? element.value : element;

/** The existing key of `object` that matches `name` case-insensitively, else `name`. */
function keyLike(object: ScimObject, name: string): string {
  const lower = name.toLowerCase();
  return Object.keys(object).find((k) => k.toLowerCase() === lower) ?? name;
}

/**
 * A value of an attribute without a definition, in the shapes RFC 7643 §2.3 allows: a
 * string, number or boolean; a complex value whose sub-attributes are simple (§2.3.8); or
 * an array of either (§2.4). Anything deeper is refused rather than half-stored.
 */
function coerceUnknownValue(value: unknown, path: string, level: 'attribute' | 'element' | 'sub'): unknown {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value) && level === 'attribute') {
    if (value.length > MAX_VALUES_PER_ATTRIBUTE)
      throw tooLong(
        `Values of "${path}"`,
        value.length,
        MAX_VALUES_PER_ATTRIBUTE,
        `A resource holds at most ${MAX_VALUES_PER_ATTRIBUTE} values of one attribute.`,
      );
    const items = value
      .map((item, index) => coerceUnknownValue(item, `${path}[${index}]`, 'element'))
      .filter((item) => item !== undefined);
    return items.length > 0 ? dedupe(items) : undefined;
  }
  if (isPlainObject(value) && level !== 'sub') {
    const result: ScimObject = {};
    for (const [name, raw] of Object.entries(value)) {
      if (!ATTRIBUTE_NAME.test(name)) continue;
      const coerced = coerceUnknownValue(raw, `${path}.${name}`, 'sub');
      if (coerced !== undefined) result[keyLike(result, name)] = coerced;
    }
    return Object.keys(result).length > 0 ? result : undefined;
  }
  if (typeof value === 'string') return coercePrimitive('string', value, path);
  if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) return value;
  throw badRequest(
    'invalidValue',
    `Attribute "${path}" is nested deeper than SCIM allows: a complex value's sub-attributes are simple (RFC 7643 §2.3.8).`,
  );
}

/** The object under `key`, created empty if there is none. */
export function ensureObject(parent: ScimObject, key: string): ScimObject {
  const existing = parent[key];
  if (isPlainObject(existing)) return existing;
  const created: ScimObject = {};
  parent[key] = created;
  return created;
}

function isClientWritable(definition: AttributeDefinition): boolean {
  return definition.mutability !== 'readOnly' && definition.mutability !== 'writeOnly';
}

export function coerceAttribute(definition: AttributeDefinition, value: unknown, path: string): unknown {
  if (value === null || value === undefined) return undefined;
  if (definition.multiValued) {
    const list = Array.isArray(value) ? value : [value];
    checkValueCount(definition, list.length, path);
    const items = list
      .map((item, index) => coerceSingle(definition, item, `${path}[${index}]`))
      .filter((item) => item !== undefined);
    const unique = dedupe(items);
    if (definition.type === 'complex') keepOnePrimary(unique as ScimObject[]);
    return unique.length > 0 ? unique : undefined;
  }
  if (Array.isArray(value)) {
    // A one-element array for a single-valued attribute is a common client slip.
    if (value.length === 1) return coerceSingle(definition, value[0], path);
    throw badRequest('invalidValue', `Attribute "${path}" is single-valued.`);
  }
  return coerceSingle(definition, value, path);
}

/** The bound of src/scim/limits.ts, checked before any value of the list is looked at. */
export function checkValueCount(definition: AttributeDefinition, count: number, path: string): void {
  if (definition.name === 'members') {
    if (count > MAX_MEMBERS_PER_REQUEST)
      throw tooLong(
        'Group members',
        count,
        MAX_MEMBERS_PER_REQUEST,
        `Create or replace the group with at most ${MAX_MEMBERS_PER_REQUEST} members, and add the others with PATCH requests of at most ${MAX_MEMBERS_PER_REQUEST} each.`,
      );
    return;
  }
  if (count > MAX_VALUES_PER_ATTRIBUTE)
    throw tooLong(
      `Values of "${path}"`,
      count,
      MAX_VALUES_PER_ATTRIBUTE,
      `A resource holds at most ${MAX_VALUES_PER_ATTRIBUTE} values of one attribute.`,
    );
}

function coerceSingle(definition: AttributeDefinition, value: unknown, path: string): unknown {
  if (value === null || value === undefined) return undefined;
  if (definition.type !== 'complex') return coercePrimitive(definition.type, value, path);
  const subAttributes = definition.subAttributes ?? [];
  if (!isPlainObject(value)) {
    // "manager": "jdoe" (Entra) and "members" values sent as bare ids: shorthand for {value}.
    const valueAttribute = findAttribute(subAttributes, 'value');
    if (!valueAttribute || Array.isArray(value)) {
      throw badRequest('invalidValue', `Attribute "${path}" must be an object.`);
    }
    const coerced = coercePrimitive(valueAttribute.type, value, `${path}.value`);
    return coerced === undefined ? undefined : { value: coerced };
  }
  const result: ScimObject = {};
  for (const [name, raw] of Object.entries(value)) {
    const sub =
      findAttribute(subAttributes, name) ??
      // Some clients (Microsoft's test collection among them) say displayName for display.
      (name.toLowerCase() === 'displayname' ? findAttribute(subAttributes, 'display') : undefined);
    if (!sub || sub.mutability === 'readOnly') continue;
    const coerced = coercePrimitive(sub.type, raw, `${path}.${sub.name}`);
    if (coerced !== undefined) result[sub.name] = coerced;
  }
  return Object.keys(result).length > 0 ? result : undefined;
}

export function coercePrimitive(type: string, value: unknown, path: string): unknown {
  if (value === null || value === undefined) return undefined;
  switch (type) {
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string') {
        const lowered = value.trim().toLowerCase();
        if (lowered === 'true') return true;
        if (lowered === 'false') return false;
      }
      throw badRequest('invalidValue', `Attribute "${path}" must be a boolean.`);
    }
    case 'integer':
    case 'decimal': {
      const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof number === 'number' && Number.isFinite(number)) {
        if (type === 'integer' && !Number.isInteger(number)) {
          throw badRequest('invalidValue', `Attribute "${path}" must be an integer.`);
        }
        return number;
      }
      throw badRequest('invalidValue', `Attribute "${path}" must be a number.`);
    }
    case 'dateTime': {
      if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return value;
      throw badRequest('invalidValue', `Attribute "${path}" must be an xsd:dateTime.`);
    }
    default: {
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      if (typeof value !== 'string') {
        throw badRequest('invalidValue', `Attribute "${path}" must be a string.`);
      }
      if (value.length > MAX_STRING_LENGTH) {
        throw badRequest('invalidValue', `Attribute "${path}" is longer than ${MAX_STRING_LENGTH}.`);
      }
      return value;
    }
  }
}

function dedupe(items: unknown[]): unknown[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = JSON.stringify(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** RFC 7643 §2.4: "primary" is true for at most one value; the first one wins. */
function keepOnePrimary(items: ScimObject[]): void {
  let seen = false;
  for (const item of items) {
    if (item.primary !== true) continue;
    if (seen) item.primary = false;
    seen = true;
  }
}

export function requireAttribute(doc: ScimObject, name: string, resource: string): void {
  const value = doc[name];
  if (typeof value !== 'string' || value.trim() === '') {
    throw badRequest('invalidValue', `${resource} requires "${name}".`);
  }
}
