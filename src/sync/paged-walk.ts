/**
 * The full reconcile's walks when the connection reads the directory in pages (the
 * Organizations API, AtlassianPort.pages): observe in pages, then mark only what differs.
 * With nothing drifted it costs about one request per 100 accounts and two per 100 groups,
 * where marking everything forced costs several requests per user and one per membership.
 *
 * The users walk (job `all:users`, or `preview-all:users`), one step per job run:
 * 1. accounts (`A|walk|page|cursor`): one page of every account in the directory, with its
 *    groups and platform roles; each compared with what the app believes (its user's link,
 *    the SCIM user and its memberships: src/sync/drift-check.ts). A user that differs gets a
 *    forced job; one in step is counted done. The SCIM users seen, and the groups whose
 *    memberships differ, are kept per page in a sync state record ("chunk"), so a walk
 *    resuming in another run still knows them.
 * 2. directory (`D|walk|pages|seq`): the SCIM users in storage, a page at a time; every one
 *    not seen (its account gone or removed by hand, or not linked at all) gets a forced job.
 * It then starts the groups walk (`G|walk|pages|seq`): the SCIM groups in storage, a page at a
 * time, with their linked Atlassian groups read by id (one search for 100) and those holding
 * an admin role (one more); a group the accounts flagged, or that differs, gets a forced job.
 * The chunks are deleted at its end.
 *
 * The groups walk runs after the users walk (the one startFullReconcile marks steps aside
 * while the users walk runs), so no group is both counted in step and marked.
 *
 * Every position kept in a job is a key (a page number, a `seq`) or Atlassian's own paging
 * cursor, never a storage query cursor (Forge's `entities-api-query`: not to be persisted).
 */
import { randomUUID } from 'node:crypto';
import type { AtlassianGroup, DirectoryPages, ObservedAccount } from '../atlassian/port';
import type { Directory } from '../directory/directory';
import type { StoredResource } from '../directory/collection';
import type { EntityStore, WriteOperation } from '../storage/port';
import { FORGE_LIMITS } from '../storage/port';
import type { Policies } from '../policies/policies';
import type { AtlassianCalls } from './atlassian-calls';
import { adminNow, GroupIndex, groupDrift, membershipDrift, UserBelief, userDrift } from './drift-check';
import type { GroupLink, Links, MemberLink } from './links';
import type { ProgressCount } from './progress';
import type { SyncKind, SyncQueue } from './queue';
import { DONE, ReconcileResult } from './result';

/** Storage reads of one page's accounts in flight at once. */
const READS_IN_FLIGHT = 8;

/** What one page of the accounts left for the rest of the walk (a sync state record). */
interface Chunk {
  /** SCIM users whose account the page showed (checked: in step, or marked). */
  users: string[];
  /** SCIM groups a membership of the page differs in: the groups walk marks them. */
  groups: string[];
}

/** Where a walk is: its phase, its id (naming its chunks), its pages so far, and a position. */
interface Position {
  phase: 'A' | 'D' | 'G';
  walk: string;
  pages: number;
  at: string;
}

function parsePosition(after: string | undefined): Position | undefined {
  const match = /^([ADG])\|([\w-]+)\|(\d+)\|(.*)$/s.exec(after ?? '');
  if (!match) return undefined;
  return { phase: match[1] as Position['phase'], walk: match[2], pages: Number(match[3]), at: match[4] };
}

const positionKey = (p: Position) => `${p.phase}|${p.walk}|${p.pages}|${p.at}`;
const chunkName = (walk: string, page: number) => `full-walk:${walk}:${page}`;

/**
 * What the walks read once per consumer run and share across its steps: the chunks of the
 * walk under way, the SCIM groups' links, the accounts holding admin roles. Built per run
 * (SyncService.run), never kept between runs: a new run reads Atlassian afresh.
 */
export class WalkMemory {
  private chunks = new Map<string, Chunk>();
  groups?: { walk: string; index: Promise<GroupIndex> };
  admins?: { walk: string; ids: Promise<Set<string>> };

  async chunk(links: Links, walk: string, page: number): Promise<Chunk> {
    const name = chunkName(walk, page);
    let chunk = this.chunks.get(name);
    if (!chunk) {
      chunk = (await links.state<Chunk>(name)) ?? { users: [], groups: [] };
      this.chunks.set(name, chunk);
    }
    return chunk;
  }

  remember(walk: string, page: number, chunk: Chunk): void {
    this.chunks.set(chunkName(walk, page), chunk);
  }

  /** The users (or groups) every page of the walk named. */
  async all(links: Links, walk: string, pages: number, what: keyof Chunk): Promise<Set<string>> {
    const all = new Set<string>();
    for (let page = 0; page < pages; page++) {
      for (const id of (await this.chunk(links, walk, page))[what]) all.add(id);
    }
    return all;
  }
}

export interface PagedWalkDeps {
  store: EntityStore;
  directory: Directory;
  /** The app's own links (chunks are written for real, even by a preview's walk). */
  links: Links;
  queue: SyncQueue;
  policies: Policies;
  now: () => number;
}

export interface WalkStep {
  /** The walk job: 'all' or 'preview-all', over 'users' or 'groups', and where it is. */
  kind: SyncKind;
  id: string;
  after?: string;
  pages: DirectoryPages;
  calls: AtlassianCalls;
  count: ProgressCount;
  memory: WalkMemory;
}

export class PagedWalk {
  constructor(private readonly deps: PagedWalkDeps) {}

  /** One step of the walk; `continue` with where the next one starts, or done. */
  async step(step: WalkStep): Promise<ReconcileResult> {
    const position = parsePosition(step.after);
    if (step.id === 'groups') {
      if (position?.phase === 'G') return this.groupsStep(step, position);
      // The users walk starts the groups walk when it ends; until then this one steps aside.
      if (await this.deps.queue.get(step.kind, 'users')) return DONE;
      return this.groupsStep(step, { phase: 'G', walk: 'none', pages: 0, at: '' });
    }
    if (position?.phase === 'D') return this.directoryStep(step, position);
    return this.accountsStep(
      step,
      position?.phase === 'A' ? position : { phase: 'A', walk: randomUUID().slice(0, 8), pages: 0, at: '' },
    );
  }

  // ---- 1. the accounts, a page at a time -------------------------------------------------

  private async accountsStep(step: WalkStep, position: Position): Promise<ReconcileResult> {
    const { calls, pages, memory } = step;
    const admins = await this.adminAccounts(step, position.walk);
    const cursor = position.at || undefined;
    const page = await calls.read('pageAccounts', () => pages.pageAccounts(cursor));
    const groups = await this.groupIndex(memory, position.walk);
    const chunk: Chunk = { users: [], groups: [] };
    const usersToMark: string[] = [];
    const goneToMark: string[] = [];
    const groupsToMark = new Set<string>();
    await inBatches(page.accounts, READS_IN_FLIGHT, async (account) => {
      const admin = adminNow(account, admins);
      const user = await this.belief(account);
      for (const g of membershipDrift(account, admin, user, groups, this.deps.policies)) groupsToMark.add(g);
      if (!user) return;
      if (!user.desired) {
        // Deleted at the identity provider, and its offboarding not finished: checked again,
        // outside the progress (it is not one of the directory's users).
        if (user.link.applied !== 'deleted') goneToMark.push(user.id);
        return;
      }
      chunk.users.push(user.id);
      if (userDrift(account, admin, { ...user, desired: user.desired }, this.deps.policies)) {
        usersToMark.push(user.id);
      } else {
        step.count.resource('user');
      }
    });
    chunk.groups = [...groupsToMark];
    await this.deps.links.setState(chunkName(position.walk, position.pages), chunk);
    memory.remember(position.walk, position.pages, chunk);
    await this.mark(step, 'user', usersToMark, true);
    await this.mark(step, 'user', goneToMark, false);
    const next = { ...position, pages: position.pages + 1 };
    if (page.cursor) return { type: 'continue', after: positionKey({ ...next, at: page.cursor }) };
    return { type: 'continue', after: positionKey({ ...next, phase: 'D', at: '' }) };
  }

  /** What the app believes about the SCIM user linked to the account, if any. */
  private async belief(account: ObservedAccount): Promise<UserBelief | undefined> {
    const { links, directory } = this.deps;
    const id = await links.accountUser(account.accountId);
    if (id === undefined) return undefined;
    const [link, desired] = await Promise.all([links.user(id), directory.users.get(id)]);
    if (!link || link.accountId !== account.accountId) return undefined;
    const memberships = new Set<string>();
    const memberLinks = new Map<string, MemberLink>();
    await Promise.all([
      (async () => {
        if (!desired) return;
        for await (const m of directory.memberships.allOfUser(id)) memberships.add(m.group);
      })(),
      (async () => {
        let cursor: string | undefined;
        do {
          const page = await links.members('user', id, cursor);
          for (const { value } of page.results) memberLinks.set(value.group, value.doc);
          cursor = page.nextCursor;
        } while (cursor);
      })(),
    ]);
    return { id, link, ...(desired ? { desired } : {}), memberships, memberLinks };
  }

  /** The accounts holding an admin role, read once per run and walk. */
  private adminAccounts(step: WalkStep, walk: string): Promise<Set<string>> {
    const { memory, calls, pages } = step;
    if (memory.admins?.walk !== walk) {
      const ids = calls.read('adminAccountIds', () => pages.adminAccountIds()).then((ids) => new Set(ids));
      memory.admins = { walk, ids };
      ids.catch(() => (memory.admins = undefined));
    }
    return memory.admins!.ids;
  }

  /** The SCIM groups' links (by SCIM id and by Atlassian group), read once per run and walk. */
  private groupIndex(memory: WalkMemory, walk: string): Promise<GroupIndex> {
    if (memory.groups?.walk !== walk) {
      const index = this.readGroupIndex();
      memory.groups = { walk, index };
      index.catch(() => (memory.groups = undefined));
    }
    return memory.groups!.index;
  }

  private async readGroupIndex(): Promise<GroupIndex> {
    const index: GroupIndex = { bySCIM: new Map(), byAtlassian: new Map() };
    for await (const groups of this.directoryPages('groups')) {
      const links = await Promise.all(groups.map((g) => this.deps.links.group(g.id)));
      groups.forEach((group, i) => {
        const link = links[i];
        if (!link) return;
        index.bySCIM.set(group.id, link);
        if (link.groupId) index.byAtlassian.set(link.groupId, group.id);
      });
    }
    return index;
  }

  // ---- 2. the directory's users the accounts did not show ---------------------------------

  private async directoryStep(step: WalkStep, position: Position): Promise<ReconcileResult> {
    const seen = await step.memory.all(this.deps.links, position.walk, position.pages, 'users');
    const page = await this.directoryPage('users', position.at);
    await this.mark(
      step,
      'user',
      page.items.filter((user) => !seen.has(user.id)).map((user) => user.id),
      true,
    );
    const last = page.items.at(-1);
    if (page.nextCursor && last)
      return { type: 'continue', after: positionKey({ ...position, at: String(last.seq) }) };
    // The groups walk, now that every user is settled, with the groups the accounts flagged.
    const groups: SyncKind = step.kind === 'preview-all' ? 'preview-all' : 'all';
    const start = positionKey({ ...position, phase: 'G', at: '' });
    await this.deps.store.transact([
      this.deps.queue.markOperation(groups, 'groups', this.deps.now(), { ...FULL, after: start }),
    ]);
    return DONE;
  }

  // ---- 3. the groups -----------------------------------------------------------------------

  private async groupsStep(step: WalkStep, position: Position): Promise<ReconcileResult> {
    const { links } = this.deps;
    const flagged = await step.memory.all(links, position.walk, position.pages, 'groups');
    const page = await this.directoryPage('groups', position.at);
    const groupLinks = await Promise.all(page.items.map((g) => links.group(g.id)));
    const ids = [...new Set(groupLinks.flatMap((l) => (l?.groupId && !l.creating ? [l.groupId] : [])))];
    const observed = new Map<string, AtlassianGroup>();
    let admin = new Set<string>();
    if (ids.length > 0) {
      const found = await step.calls.read('groupsById', () => step.pages.groupsById(ids));
      for (const group of found) observed.set(group.id, group);
      admin = new Set(await step.calls.read('adminGroupIds', () => step.pages.adminGroupIds(ids)));
    }
    const toMark: string[] = [];
    page.items.forEach((group, i) => {
      const link: GroupLink | undefined = groupLinks[i];
      const atlassian = link?.groupId ? observed.get(link.groupId) : undefined;
      const drift = groupDrift(group, link, atlassian, admin.has(link?.groupId ?? ''), this.deps.policies);
      if (flagged.has(group.id) || drift) toMark.push(group.id);
      else step.count.resource('group');
    });
    await this.mark(step, 'group', toMark, true);
    const last = page.items.at(-1);
    if (page.nextCursor && last)
      return { type: 'continue', after: positionKey({ ...position, at: String(last.seq) }) };
    // Done: the chunks have served.
    const chunks: WriteOperation[] = [];
    for (let i = 0; i < position.pages; i++)
      chunks.push(links.deleteStateOperation(chunkName(position.walk, i)));
    for (let i = 0; i < chunks.length; i += FORGE_LIMITS.maxTransactionOperations) {
      await this.deps.store.transact(chunks.slice(i, i + FORGE_LIMITS.maxTransactionOperations));
    }
    return DONE;
  }

  // ---- shared ------------------------------------------------------------------------------

  /** Forced jobs for these users or groups; `full` ones count in the progress when done. */
  private async mark(step: WalkStep, resource: 'user' | 'group', ids: string[], full: boolean) {
    const kind: SyncKind = step.kind === 'preview-all' ? `preview-${resource}` : resource;
    const doc = full ? FULL : { force: true };
    const marks = ids.map((id) => this.deps.queue.markOperation(kind, id, undefined, doc));
    for (let i = 0; i < marks.length; i += FORGE_LIMITS.maxTransactionOperations) {
      await this.deps.store.transact(marks.slice(i, i + FORGE_LIMITS.maxTransactionOperations));
    }
  }

  /** One page of the directory's users or groups in `by-seq` order, after `after` (a seq). */
  private directoryPage(
    which: 'users' | 'groups',
    after: string,
  ): Promise<{ items: StoredResource[]; nextCursor?: string }> {
    const collection = which === 'groups' ? this.deps.directory.groups : this.deps.directory.users;
    return collection.findByIndex(
      'by-seq',
      /^\d+$/.test(after)
        ? { op: 'greaterThan', value: Number(after) }
        : { op: 'greaterThanEqualTo', value: 0 },
    );
  }

  /** Every page of the directory's users or groups (within this invocation). */
  private async *directoryPages(which: 'users' | 'groups'): AsyncGenerator<StoredResource[]> {
    const collection = which === 'groups' ? this.deps.directory.groups : this.deps.directory.users;
    let cursor: string | undefined;
    do {
      const page = await collection.findByIndex('by-seq', { op: 'greaterThanEqualTo', value: 0 }, cursor);
      yield page.items;
      cursor = page.nextCursor;
    } while (cursor);
  }
}

/** A job of the full reconcile: forced, and counted in its progress once done. */
const FULL = { force: true, full: true } as const;

/** Runs `visit` over `items`, at most `width` at once. */
async function inBatches<T>(items: T[], width: number, visit: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(visit));
}
