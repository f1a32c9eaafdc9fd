/**
 * Composition: the one place that wires the SCIM service to a store and a token source.
 * The Forge entry points and the local server both call it, with their own adapters.
 */
import type { AtlassianPort } from './atlassian/port';
import { Directory, DirectoryOptions } from './directory/directory';
import { directoryStore } from './directory-store';
import { TokenHashSource, TokenVerifier } from './scim/auth';
import type { LicenceGate } from './scim/licence';
import { Logger } from './scim/resources/common';
import { ScimService } from './scim/service';
import { EntityStore, WriteOperation } from './storage/port';
import type { Policies } from './policies/policies';
import { SyncService } from './sync/service';
import type { GroupRoleCache } from './sync/group-role-cache';
import type { PartitionsMarked } from './sync/queue';
import { toScimRequest, toWebTriggerResponse, WebTriggerEvent, WebTriggerResponse } from './webtrigger/event';

export interface AppOptions extends Omit<DirectoryOptions, 'tracker'> {
  store: EntityStore;
  tokens: TokenHashSource;
  logger?: Logger;
  scanLimit?: number;
  /**
   * The SCIM base URL when the runtime knows it better than the request headers do (on Forge:
   * the web trigger's own URL). Falls back to the URL the request headers describe.
   */
  baseUrl?: () => Promise<string | undefined>;
  /**
   * The Atlassian organization to provision into, looked up when the sync runs; absent or
   * answering undefined means "not connected": changes are kept marked until it is.
   */
  atlassian?: () => Promise<AtlassianPort | undefined>;
  /** A user or group changed: a sync run is wanted soon (queued by `afterRequest`). */
  onSyncPending?: () => void;
  /**
   * Awaited before a web trigger answers: queues what the request's changes asked for (a sync
   * run, the directory's jobs). Forge does not promise that work a function did not await
   * goes on after it returns, so nothing is queued fire-and-forget.
   */
  afterRequest?: () => Promise<void>;
  /** Atlassian calls per sync run (see SyncOptions.callsPerRun). */
  syncCallsPerRun?: number;
  syncRetryDelayMs?: (attempt: number) => number;
  /** The provisioning policies in force (src/policies/policies.ts); absent: the defaults. */
  policies?: () => Promise<Policies>;
  /** Whether SCIM writes are allowed (on Forge: the Marketplace licence); absent: always. */
  licence?: LicenceGate;
  /**
   * The installation's group roles as the privilege check read them, shared by the sync runs
   * this process serves for it (src/sync/group-role-cache.ts); absent: the app's own.
   */
  groupRoles?: GroupRoleCache;
  /**
   * A sync run queued jobs for other partitions (a large group's member slices): a run of
   * each is wanted now (src/sync/queue.ts, PartitionsMarked); absent: they wait for the next.
   */
  partitionsMarked?: PartitionsMarked;
}

export interface App {
  directory: Directory;
  sync: SyncService;
  scim: ScimService;
  handleWebTrigger(event: WebTriggerEvent): Promise<WebTriggerResponse>;
}

export function createApp(options: AppOptions): App {
  // The directory marks what changed for the sync, which reads the directory: the tracker
  // reaches the sync through a closure, used only once both exist.
  const directory: Directory = new Directory(options.store, {
    ...options,
    tracker: {
      operations: (type, id, doc): WriteOperation[] => sync.changeOperations(type, id, doc),
      changed: () => options.onSyncPending?.(),
    },
  });
  const sync: SyncService = new SyncService({
    store: options.store,
    directory,
    connection: options.atlassian,
    now: options.clock ? () => (options.clock as () => Date)().getTime() : undefined,
    callsPerRun: options.syncCallsPerRun,
    retryDelayMs: options.syncRetryDelayMs,
    policies: options.policies,
    groupRoles: options.groupRoles,
    partitionsMarked: options.partitionsMarked,
  });
  const scim = new ScimService({
    store: directoryStore(directory),
    tokens: new TokenVerifier(options.tokens),
    logger: options.logger,
    scanLimit: options.scanLimit,
    licence: options.licence,
  });
  return {
    directory,
    sync,
    scim,
    handleWebTrigger: async (event) => {
      const request = toScimRequest(event);
      const known = await options.baseUrl?.().catch(() => undefined);
      if (known) request.baseUrl = known.replace(/\/+$/, '');
      // The request's sync log entry rides in the transaction of the change it makes.
      const response = await sync.requests.around(request, () => scim.handle(request));
      await options.afterRequest?.();
      return toWebTriggerResponse(response);
    },
  };
}
