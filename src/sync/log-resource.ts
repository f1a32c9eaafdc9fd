/**
 * A log filter's resource as a person types it: a SCIM id, or a name (a userName, an e-mail,
 * a group's name). Entries are indexed by id only (`by-resource`), so a name is first looked
 * up in the directory, which also finds the entries written before the log carried names.
 */
import type { Directory } from '../directory/directory';
import { isResourceId } from '../directory/collection';

/**
 * The resource ids whose entries `value` asks for, best match first: the id itself, else the
 * users and groups named so (users first), else `value` as written (a SCIM request's failed
 * path keeps whatever id the identity provider sent).
 */
export async function logResourceIds(directory: Directory, value: string): Promise<string[]> {
  const wanted = value.trim();
  if (wanted === '' || wanted === '-' || isResourceId(wanted)) return [wanted];
  const named = await directory.resourcesNamed(wanted);
  return named.length > 0 ? named.map((resource) => resource.id) : [wanted];
}
