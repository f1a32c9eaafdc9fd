/**
 * Resolution of attribute paths ("name.givenName", "emails.value",
 * "urn:…:enterprise:2.0:User:manager.value", "meta.created") against a resource type.
 * Attribute names and schema URNs are case-insensitive (RFC 7643 §2.1); everything after
 * resolution uses the canonical spelling.
 */
import {
  allSchemas,
  AttributeDefinition,
  commonAttributes,
  ResourceTypeDefinition,
  SchemaDefinition,
} from './definitions';

/** RFC 7643 §2.1 / RFC 7644 §3.10 ATTRNAME: ALPHA *(nameChar), nameChar = "-" / "_" / DIGIT / ALPHA. */
export const ATTRIBUTE_NAME = /^(?:[A-Za-z][\w-]*|\$ref)$/;

/** RFC 8141: urn:<NID>:<NSS>. */
const URN = /^urn:[a-z0-9][a-z0-9-]{0,31}:[^\s"[\]]+$/i;
/** Namespaces of SCIM's own core schemas and messages: never somebody's extension. */
const SCIM_CORE = /^urn:(?:ietf:params:scim:(?:schemas:core|api):|scim:schemas:core:)/i;
/** `…:2.0` — the version segment extension URNs carry before the resource type name. */
const VERSION_SEGMENT = /:\d+(?:\.\d+)*$/;

export interface ResolvedPath {
  /** Extension schema URN when the attribute lives in an extension, else undefined. */
  extension?: string;
  attribute: AttributeDefinition;
  subAttribute?: AttributeDefinition;
}

export function findAttribute(
  list: readonly AttributeDefinition[] | undefined,
  name: string,
): AttributeDefinition | undefined {
  if (!list) return undefined;
  const lower = name.toLowerCase();
  const byName = ATTRIBUTE_INDEXES.get(list);
  return byName ? byName.get(lower) : list.find((a) => a.name.toLowerCase() === lower);
}

/**
 * Every attribute list of the schema definitions (and their sub-attribute lists), by
 * lower-cased name: findAttribute runs for every attribute of every resource a list renders.
 * Built once as the module loads, from definitions that never change, and only read after:
 * the same for every customer the process serves. A list from elsewhere is searched.
 */
const ATTRIBUTE_INDEXES: ReadonlyMap<
  readonly AttributeDefinition[],
  ReadonlyMap<string, AttributeDefinition>
> = new Map(
  [...allSchemas.map((schema) => schema.attributes), commonAttributes]
    .flatMap(listsWithin)
    .map((list) => [list, new Map(list.map((a) => [a.name.toLowerCase(), a]))]),
);

function listsWithin(list: readonly AttributeDefinition[]): (readonly AttributeDefinition[])[] {
  return [list, ...list.flatMap((a) => (a.subAttributes ? listsWithin(a.subAttributes) : []))];
}

/** The extension schema whose URN the path starts with, and the rest of the path. */
export function splitSchemaPrefix(
  type: ResourceTypeDefinition,
  path: string,
): { schema: SchemaDefinition; extension?: string; rest: string } | undefined {
  const lower = path.toLowerCase();
  if (!lower.startsWith('urn:')) return { schema: type.schema, rest: path };
  for (const extension of type.extensions) {
    const prefix = extension.id.toLowerCase();
    if (lower === prefix) return { schema: extension, extension: extension.id, rest: '' };
    if (lower.startsWith(prefix + ':')) {
      return { schema: extension, extension: extension.id, rest: path.slice(prefix.length + 1) };
    }
  }
  const core = type.schema.id.toLowerCase();
  if (lower.startsWith(core + ':')) return { schema: type.schema, rest: path.slice(core.length + 1) };
  return undefined;
}

export function resolvePath(type: ResourceTypeDefinition, path: string): ResolvedPath | undefined {
  const split = splitSchemaPrefix(type, path.trim());
  if (!split || !split.rest) return undefined;
  const [name, subName, ...extra] = split.rest.split('.');
  if (extra.length > 0 || !name) return undefined;
  const found = findQualified(type, split.schema, split.extension, name);
  if (!found) return undefined;
  const { attribute, extension } = found;
  if (subName === undefined) return { extension, attribute };
  const subAttribute = findAttribute(attribute.subAttributes, subName);
  if (!subAttribute) return undefined;
  return { extension, attribute, subAttribute };
}

/**
 * An attribute by name within a schema. Unqualified names that are not core attributes are
 * looked up in the extensions too: Entra sends `"path": "manager"` for the enterprise manager,
 * and no extension attribute shares a name with a core one.
 */
export function findQualified(
  type: ResourceTypeDefinition,
  schema: SchemaDefinition,
  extension: string | undefined,
  name: string,
): { attribute: AttributeDefinition; extension?: string } | undefined {
  const direct =
    findAttribute(schema.attributes, name) ?? (extension ? undefined : findAttribute(commonAttributes, name));
  if (direct) return { attribute: direct, extension };
  if (extension) return undefined;
  for (const candidate of type.extensions) {
    const attribute = findAttribute(candidate.attributes, name);
    if (attribute) return { attribute, extension: candidate.id };
  }
  return undefined;
}

/** Canonical dotted spelling of a resolved path, e.g. "name.givenName". */
export function canonicalPath(resolved: ResolvedPath): string {
  const local = resolved.subAttribute
    ? `${resolved.attribute.name}.${resolved.subAttribute.name}`
    : resolved.attribute.name;
  return resolved.extension ? `${resolved.extension}:${local}` : local;
}

/**
 * Whether `urn` names an extension schema that we do not define but keep the values of, as
 * sent (Entra's `urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User`). Not
 * SCIM's core and message namespaces, and not our own schemas or paths into them: the
 * enterprise extension sent to /Groups is ours and does not belong there.
 */
export function isUnknownExtension(urn: string): boolean {
  if (!URN.test(urn) || SCIM_CORE.test(urn)) return false;
  const lower = urn.toLowerCase();
  return !allSchemas.some((s) => {
    const id = s.id.toLowerCase();
    return lower === id || lower.startsWith(`${id}:`);
  });
}

export interface UnknownExtensionPath {
  /** The extension's URN, as the client spelled it. */
  urn: string;
  name: string;
  sub?: string;
}

/**
 * `urn:…:CustomExtensionName:2.0:User:costCenter` (or `…:manager.value`) as URN, attribute and
 * sub-attribute; undefined when the path is not under an unknown extension (see
 * isUnknownExtension), and `invalid` when it is but cannot be resolved. The attribute name
 * is the last colon-separated part, as the grammar says (RFC 7644 §3.10: attrPath =
 * [URI ":"] ATTRNAME *1subAttr).
 */
export function splitUnknownExtensionPath(
  path: string,
): UnknownExtensionPath | { invalid: string } | undefined {
  if (!/^urn:/i.test(path)) return undefined;
  const bracket = path.indexOf('[');
  const head = bracket < 0 ? path : path.slice(0, bracket);
  const colon = head.lastIndexOf(':');
  const urn = head.slice(0, colon);
  if (!isUnknownExtension(urn)) return undefined;
  if (bracket >= 0) {
    return {
      invalid: `${urn} is not a schema this service provider defines, so its attributes cannot take value filters`,
    };
  }
  if (VERSION_SEGMENT.test(urn)) {
    return { invalid: 'it names a schema, not an attribute; give the attribute after the URN' };
  }
  const [name, sub, ...extra] = head.slice(colon + 1).split('.');
  if (extra.length > 0 || !ATTRIBUTE_NAME.test(name) || (sub !== undefined && !ATTRIBUTE_NAME.test(sub))) {
    return { invalid: 'it is not a valid attribute path' };
  }
  return { urn, name, ...(sub !== undefined ? { sub } : {}) };
}
