/**
 * Group membership changes. Members are not part of the stored group document; a request's
 * member operations are folded, in order, into one net change (reset / add / remove) and
 * turned into membership writes. Tolerated here: Entra's removal with a value list and
 * with `members[value eq "…"]`, members sent as bare ids, `"$ref": null`, Keycloak's
 * relative `$ref`, Okta's adds without `type`, and adding a member twice.
 */
import { badRequest } from '../errors';
import { Filter, parseScimFilter } from '../filter/parse';
import { groupSchema } from '../schema/definitions';
import { coerceAttribute, isPlainObject, ScimObject } from '../schema/normalize';
import { findAttribute } from '../schema/paths';
import { PatchOperation } from '../patch/request';
import type { GroupStore, MemberWrites, ScimStore, StoredResource } from '../store';
import { Logger, mapLimit } from './common';

export interface MemberChanges {
  /** Remove every current member not re-added by `add`. */
  reset: boolean;
  add: Map<string, { display?: string }>;
  remove: Set<string>;
}

const MEMBERS = findAttribute(groupSchema.attributes, 'members')!;
const MEMBERS_PATH = /^(?:urn:ietf:params:scim:schemas:core:2\.0:group:)?members(?:\[(.*)\])?(\..*)?$/is;

export function noChanges(): MemberChanges {
  return { reset: false, add: new Map(), remove: new Set() };
}

/** Members given as a full list (POST, PUT). */
export function replaceWith(value: unknown): MemberChanges {
  const changes = noChanges();
  changes.reset = true;
  for (const member of readMembers(value)) changes.add.set(member.value, { display: member.display });
  return changes;
}

/** Splits a group PATCH into attribute operations and one net membership change. */
export function splitGroupPatch(operations: PatchOperation[]): {
  attributeOperations: PatchOperation[];
  members: MemberChanges;
} {
  const attributeOperations: PatchOperation[] = [];
  const members = noChanges();
  for (const operation of operations) {
    if (operation.path === undefined) {
      const value = isPlainObject(operation.value) ? operation.value : {};
      const membersKey = Object.keys(value).find((k) => k.toLowerCase() === 'members');
      if (membersKey !== undefined) {
        applyMemberOperation(members, { op: operation.op, path: 'members', value: value[membersKey] });
        const rest = { ...value };
        delete rest[membersKey];
        if (Object.keys(rest).length > 0) attributeOperations.push({ ...operation, value: rest });
      } else {
        attributeOperations.push(operation);
      }
    } else if (MEMBERS_PATH.test(operation.path)) {
      applyMemberOperation(members, operation);
    } else {
      attributeOperations.push(operation);
    }
  }
  return { attributeOperations, members };
}

function applyMemberOperation(changes: MemberChanges, operation: PatchOperation): void {
  const [, filterText, subPath] = MEMBERS_PATH.exec(operation.path ?? 'members') ?? [];
  if (subPath !== undefined) {
    throw badRequest('mutability', 'Member sub-attributes cannot be changed; add or remove the member.');
  }
  if (filterText !== undefined) {
    if (operation.op !== 'remove') {
      throw badRequest('invalidPath', 'A value filter on "members" is only supported for "remove".');
    }
    for (const id of memberIds(parseScimFilter(filterText))) remove(changes, id);
    return;
  }
  switch (operation.op) {
    case 'add':
      for (const member of readMembers(operation.value)) add(changes, member);
      return;
    case 'replace':
      changes.reset = true;
      changes.add.clear();
      changes.remove.clear();
      for (const member of readMembers(operation.value)) add(changes, member);
      return;
    case 'remove':
      if (operation.value === undefined || operation.value === null) {
        changes.reset = true;
        changes.add.clear();
        changes.remove.clear();
      } else {
        for (const member of readMembers(operation.value)) remove(changes, member.value);
      }
  }
}

function add(changes: MemberChanges, member: { value: string; display?: string }): void {
  changes.remove.delete(member.value);
  changes.add.set(member.value, { display: member.display });
}

function remove(changes: MemberChanges, id: string): void {
  changes.add.delete(id);
  changes.remove.add(id);
}

/** `value eq "a"`, or several joined by `or`: the ids a member filter selects. */
function memberIds(filter: Filter): string[] {
  if (filter.op === 'or') return filter.filters.flatMap(memberIds);
  if (filter.op === 'eq' && filter.attrPath.toLowerCase() === 'value' && filter.compValue !== null) {
    return [String(filter.compValue)];
  }
  throw badRequest('invalidFilter', 'Member filters select members by value: members[value eq "<id>"].');
}

function readMembers(value: unknown): { value: string; display?: string }[] {
  const coerced = coerceAttribute(MEMBERS, value, 'members') as ScimObject[] | undefined;
  return (coerced ?? []).flatMap((member) => {
    if (typeof member.value !== 'string' || member.value.trim() === '') return [];
    if (typeof member.type === 'string' && member.type.toLowerCase() === 'group') {
      throw badRequest(
        'invalidValue',
        'Nested groups are not supported: Atlassian groups cannot contain groups.',
      );
    }
    return [
      {
        value: member.value.trim(),
        display: typeof member.display === 'string' ? member.display : undefined,
      },
    ];
  });
}

/**
 * Turns a net change into membership writes for the store (scim/store.ts, MemberWrites). New
 * members must be users of this directory; unknown ids are skipped and logged (once,
 * summarised) rather than failing the request, because an identity provider cannot repair them
 * and would retry forever. The request's member values were bounded before this
 * (src/scim/limits.ts), so the reads here are at most MAX_MEMBERS_PER_REQUEST.
 */
export async function resolveMembers(
  store: ScimStore,
  group: StoredResource | undefined,
  changes: MemberChanges,
  logger: Logger,
): Promise<MemberWrites> {
  const wanted = new Map(changes.add);
  // Ids the store never issued are passed on too: it knows they hold no membership.
  const remove = new Set(changes.remove);
  if (changes.reset && group) {
    for await (const existing of store.groups.members(group)) {
      const again = wanted.get(existing.user);
      if (!again) remove.add(existing.user);
      else if (again.display === undefined || again.display === existing.display)
        wanted.delete(existing.user);
    }
  }
  const ids = [...wanted.keys()];
  const users = await mapLimit(ids, 16, (id) => store.users.get(id));
  const set: MemberWrites['set'] = [];
  const unknown: string[] = [];
  users.forEach((user, index) => {
    const userId = ids[index];
    if (!user) {
      unknown.push(userId);
      return;
    }
    const display = wanted.get(userId)?.display ?? stringOr(user.doc.displayName, user.doc.userName);
    set.push({ userId, userVersion: user.version, display });
    remove.delete(userId);
  });
  // One line per request, not per id: a request may name up to MAX_MEMBERS_PER_REQUEST of them.
  if (unknown.length > 0)
    logger.warn('Ignoring group members that are not users of this directory.', {
      count: unknown.length,
      members: unknown.slice(0, LOGGED_UNKNOWN_MEMBERS),
    });
  return { set, remove: [...remove] };
}

/** The unknown member ids a warning lists; the count says how many there were. */
const LOGGED_UNKNOWN_MEMBERS = 10;

function stringOr(...values: unknown[]): string | undefined {
  return values.find((v): v is string => typeof v === 'string' && v !== '');
}

/** Members of groups rendered for a response, keyed by group id. */
export async function renderMembers(
  groups: GroupStore,
  list: StoredResource[],
): Promise<Map<string, ScimObject[]>> {
  const members = await groups.membersOf(list);
  // No "$ref": at ~120 bytes a member it would push a 35,000-member group past Forge's 5 MB
  // response limit; "value" is the user's id, which is all clients use.
  return new Map(
    [...members].map(([groupId, of]) => [
      groupId,
      of.map((m) => ({ value: m.user, ...(m.display ? { display: m.display } : {}), type: 'User' })),
    ]),
  );
}
