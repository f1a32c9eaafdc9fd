/**
 * Deterministic test data for the benchmark: users and groups shaped the way Okta and
 * Entra send them. Everything derives from a number, so a run is reproducible and a user's
 * full representation can be rebuilt (for a PUT) without keeping 100,000 bodies in memory.
 *
 * Names are deliberately not in creation order: a real directory's userNames, externalIds
 * and e-mails arrive in no particular order, and the local store's sorted indexes should
 * see inserts all over the key space, not only appends at the end.
 */
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from '../../src/scim/schema/definitions';

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** A small, fast, seedable PRNG (mulberry32): the same picks on every run. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, bound). */
  below(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  /** A uniformly random element. */
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy;
  }
}

const GIVEN = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Tim'];
const FAMILY = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Allen',
  'Thompson',
  'Perlman',
];
const DEPARTMENTS = ['Engineering', 'Sales', 'Support', 'Finance', 'Legal', 'Marketing'];

/**
 * A unique, unordered token for user number `n`: multiplying by an odd constant is a
 * bijection modulo 2^32, so distinct numbers give distinct tokens in scrambled order.
 */
export function token(n: number): string {
  return (Math.imul(n + 1, 0x9e3779b1) >>> 0).toString(36).padStart(7, '0');
}

export function userName(n: number): string {
  return `${GIVEN[n % GIVEN.length]}.${FAMILY[n % FAMILY.length]}.${token(n)}@example.com`.toLowerCase();
}

/** Okta-style externalId ("00u" and a unique suffix). */
export function externalId(n: number): string {
  return `00u${token(n)}x${(n % 1000).toString().padStart(3, '0')}`;
}

/** The work e-mail; deliberately not the userName, so the e-mail filter takes its own index. */
export function email(n: number): string {
  return `${token(n)}.mail@corp.example.com`;
}

/** The full user representation an identity provider POSTs (and PUTs back). */
export function userBody(n: number, givenName = GIVEN[n % GIVEN.length]): Record<string, unknown> {
  const familyName = FAMILY[n % FAMILY.length];
  return {
    schemas: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
    userName: userName(n),
    externalId: externalId(n),
    name: { givenName, familyName, formatted: `${givenName} ${familyName}` },
    displayName: `${givenName} ${familyName} ${token(n)}`,
    emails: [{ value: email(n), type: 'work', primary: true }],
    title: 'Engineer',
    active: true,
    [ENTERPRISE_USER_SCHEMA]: {
      employeeNumber: String(n),
      department: DEPARTMENTS[n % DEPARTMENTS.length],
    },
  };
}

export function groupName(n: number): string {
  return `Team ${token(n)} ${DEPARTMENTS[n % DEPARTMENTS.length]}`;
}

export function groupBody(n: number, members: string[]): Record<string, unknown> {
  return {
    schemas: [GROUP_SCHEMA],
    displayName: groupName(n),
    externalId: `00g${token(n)}`,
    members: members.map((value) => ({ value })),
  };
}

/** A group PATCH adding members (identity providers push big groups in batches). */
export function addMembersPatch(members: { value: string; display?: string }[]): Record<string, unknown> {
  return { schemas: [PATCH_OP_SCHEMA], Operations: [{ op: 'add', path: 'members', value: members }] };
}

/** Okta's group member add: one member per request during incremental pushes. */
export function addMemberPatch(userId: string, display: string): Record<string, unknown> {
  return addMembersPatch([{ value: userId, display }]);
}

/** Okta's group member removal, with a value filter in the path. */
export function removeMemberPatch(userId: string): Record<string, unknown> {
  return {
    schemas: [PATCH_OP_SCHEMA],
    Operations: [{ op: 'remove', path: `members[value eq "${userId}"]` }],
  };
}

/** Deactivation: replace `active`. */
export function activePatch(active: boolean): Record<string, unknown> {
  return { schemas: [PATCH_OP_SCHEMA], Operations: [{ op: 'replace', path: 'active', value: active }] };
}

/** A URL-encoded `filter=` query parameter. */
export function filterQuery(expression: string): string {
  return `filter=${encodeURIComponent(expression)}`;
}
