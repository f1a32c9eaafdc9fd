/** The contract between the admin page and its resolver (typed on both sides). */
import type { LogEntry, LogQuery } from '../sync/log';
import type { AtlassianConnectionApi } from './atlassian-connection';

export interface AdminStatus {
  scimBaseUrl: string;
  tokenConfigured: boolean;
  users: number;
  groups: number;
  licence: AdminLicence;
}

/** The installation's Marketplace licence (src/forge/licence.ts). */
export interface AdminLicence {
  /** `none`: no licence applies (free, development or unlisted installation): writes work. */
  state: 'active' | 'inactive' | 'none';
  /** False while the licence is inactive: SCIM writes are refused, reads still work. */
  writesAllowed: boolean;
  detail: string;
  endDate?: string;
}

/**
 * The sync log's query and entries, as src/sync/log.ts defines them (type-only: the admin
 * page's bundle gets no sync code). A page is newest first.
 */
export type SyncLogQuery = LogQuery;
export type SyncLogEntryView = LogEntry;

export type AdminApi = AtlassianConnectionApi & {
  getStatus: () => AdminStatus;
  rotateToken: () => { token: string };
  getSyncLog: (query: SyncLogQuery) => { entries: SyncLogEntryView[]; cursor?: string };
  /** Queues a reconcile of every user and group, blocked ones included (an admin's retry). */
  reconcileAll: () => { queued: true };
};
