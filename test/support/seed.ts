/**
 * Fast seeding straight through the directory (no HTTP, no SCIM parsing), for tests that
 * need hundreds or thousands of users before the behaviour under test.
 */
import type { StoredResource } from '../../src/directory/collection';
import type { Directory } from '../../src/directory/directory';

/** Creates `count` users named `${prefix}${i}`, one after another; returns their ids in creation order. */
export async function seedUsers(directory: Directory, count: number, prefix = 'user'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const user = await directory.users.create({
      userName: `${prefix}${i}@example.com`,
      displayName: `${prefix} ${i}`,
      active: true,
    });
    ids.push(user.id);
  }
  return ids;
}

/** Creates a group with the given members (written in transactions of at most 25). */
export async function seedGroup(
  directory: Directory,
  displayName: string,
  memberIds: string[] = [],
): Promise<StoredResource> {
  return directory.groups.create({ displayName }, (created) =>
    memberIds.map((id) => directory.memberships.setOperation(created, id)),
  );
}

/** The user ids of every membership of a group, straight from storage. */
export async function memberIdsOf(directory: Directory, group: StoredResource): Promise<string[]> {
  const ids: string[] = [];
  for await (const membership of directory.memberships.allOfGroup(group)) ids.push(membership.user);
  return ids.sort();
}
