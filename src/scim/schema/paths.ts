/**
 * Resolution of attribute paths ("name.givenName", "emails.value",
 * "urn:…:enterprise:2.0:User:manager.value", "meta.created") against a resource type.
 * Attribute names and schema URNs are case-insensitive (RFC 7643 §2.1); everything after
 * resolution uses the canonical spelling.
 */
import {
  AttributeDefinition,
  commonAttributes,
  ResourceTypeDefinition,
  SchemaDefinition,
} from './definitions';

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
  const wanted = name.toLowerCase();
  return list.find((a) => a.name.toLowerCase() === wanted);
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
