/** The contract between the admin page and its resolver (typed on both sides). */
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

/** A page of the sync log (src/sync/log.ts), newest first. */
export interface SyncLogQuery {
  /** A SCIM resource id. */
  resource?: string;
  status?: 'ok' | 'failed' | 'blocked' | 'skipped' | 'attention';
  /** Epoch ms, inclusive. */
  since?: number;
  until?: number;
  limit?: number;
  cursor?: string;
}

export interface SyncLogEntryView {
  id: string;
  at: number;
  resource: string;
  status: string;
  source: string;
  operation: string;
  resourceType?: string;
  why?: string;
  result?: string;
  httpStatus?: number;
  idp?: string;
  ms?: number;
  attempts?: number;
  errorKind?: string;
  error?: string;
}

export type AdminApi = AtlassianConnectionApi & {
  getStatus: () => AdminStatus;
  rotateToken: () => { token: string };
  getSyncLog: (query: SyncLogQuery) => { entries: SyncLogEntryView[]; cursor?: string };
  /** Queues a reconcile of every user and group, blocked ones included (an admin's retry). */
  reconcileAll: () => { queued: true };
};
