/**
 * Each group's roles as the privilege check (src/sync/privilege.ts) last read them, shared by
 * the runs one process serves for one installation (built per installation by the composition,
 * like the rate-limit pacer: never module-level state).
 *
 * Why shared: sixteen partitions run at once (src/sync/partitions.ts), and a group's member adds
 * and new users' default groups fall in every partition, so a cache per run read each group's
 * roles sixteen times (issue 15: 0.10-0.13 requests per change).
 *
 * Why it fails safe: an admin may give a group an admin role at any moment, and a stale "no
 * admin role" would let the app grant admin power. So a run only shares a read that was SENT
 * AFTER THAT RUN BEGAN: exactly the freshness the cache per run gave, ordered by a sequence
 * rather than a clock, so equal timestamps cannot make an older read look fresh. A run that
 * begins later reads again. Beyond that, nothing is kept longer than a run window, a failed
 * read is never kept, and the app's own grant or revoke of a group's access forgets the group
 * (watching(), below), so whoever asks next reads what the change made.
 */
import type { AtlassianPort, GroupRole } from '../atlassian/port';

/**
 * No read is kept longer than a consumer run may last (RUN_DEADLINE_MS in src/forge/index.ts,
 * 840 s): no run that could share it is still going.
 */
export const GROUP_ROLES_MAX_AGE_MS = 840_000;

/** Groups remembered at most (the least recently read are dropped first). */
export const GROUP_ROLES_MAX_GROUPS = 5_000;

interface Entry {
  roles: Promise<GroupRole[]>;
  /** When, in the cache's sequence, the read was sent. */
  sent: number;
  /** When, by the clock, the read was sent. */
  at: number;
}

/** One run's view of the cache: what it may share, and its reads for the runs that follow. */
export interface GroupRoleReader {
  /** The group's roles: a read sent since the run began, or `read` now. */
  roles(groupId: string, read: () => Promise<GroupRole[]>): Promise<GroupRole[]>;
}

export class GroupRoleCache {
  private readonly entries = new Map<string, Entry>();
  /** Counts run starts and reads sent: orders them without relying on the clock. */
  private sequence = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** The view of a run beginning now: reads sent from here on are fresh enough for it. */
  beginRun(): GroupRoleReader {
    const began = ++this.sequence;
    return { roles: (groupId, read) => this.roles(groupId, read, began) };
  }

  /**
   * The port, whose grant and revoke of a group's product access forget the group's roles
   * (before the call, and after it, so a read sent meanwhile is not kept either).
   */
  watching(port: AtlassianPort): AtlassianPort {
    const forgetting =
      (call: AtlassianPort['grantGroupAccess']): AtlassianPort['grantGroupAccess'] =>
      async (groupId, resourceId, role) => {
        this.forget(groupId);
        try {
          return await call.call(port, groupId, resourceId, role);
        } finally {
          this.forget(groupId);
        }
      };
    const grant = forgetting(port.grantGroupAccess);
    const revoke = forgetting(port.revokeGroupAccess);
    return new Proxy(port, {
      get(target, property, receiver) {
        if (property === 'grantGroupAccess') return grant;
        if (property === 'revokeGroupAccess') return revoke;
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  /** The group's roles may have changed: whoever asks next reads them. */
  forget(groupId: string): void {
    this.entries.delete(groupId);
  }

  private roles(groupId: string, read: () => Promise<GroupRole[]>, began: number): Promise<GroupRole[]> {
    const now = this.now();
    const kept = this.entries.get(groupId);
    if (kept && kept.sent > began && now - kept.at <= GROUP_ROLES_MAX_AGE_MS) return kept.roles;
    const entry: Entry = { roles: read(), sent: ++this.sequence, at: now };
    this.entries.delete(groupId);
    this.entries.set(groupId, entry);
    // A failed read is asked again; only this read's own entry is dropped.
    entry.roles.catch(() => {
      if (this.entries.get(groupId) === entry) this.entries.delete(groupId);
    });
    this.prune(now);
    return entry.roles;
  }

  /** Drops reads older than a run window, and the oldest beyond the limit. */
  private prune(now: number): void {
    for (const [groupId, entry] of this.entries) {
      if (this.entries.size <= GROUP_ROLES_MAX_GROUPS && now - entry.at <= GROUP_ROLES_MAX_AGE_MS) break;
      this.entries.delete(groupId);
    }
  }
}
