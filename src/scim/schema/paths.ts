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
  const attribute =
    findAttribute(split.schema.attributes, name) ??
    (split.extension ? undefined : findAttribute(commonAttributes, name));
  if (!attribute) return undefined;
  if (subName === undefined) return { extension: split.extension, attribute };
  const subAttribute = findAttribute(attribute.subAttributes, subName);
  if (!subAttribute) return undefined;
  return { extension: split.extension, attribute, subAttribute };
}

/** Canonical dotted spelling of a resolved path, e.g. "name.givenName". */
export function canonicalPath(resolved: ResolvedPath): string {
  const local = resolved.subAttribute
    ? `${resolved.attribute.name}.${resolved.subAttribute.name}`
    : resolved.attribute.name;
  return resolved.extension ? `${resolved.extension}:${local}` : local;
}
