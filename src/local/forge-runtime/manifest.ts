/**
 * What the offline Forge runtime reads from manifest.yml, the source of truth for which
 * function each module calls, how long it may run, the queues, schedules, resources, scopes,
 * egress and custom entities. Parsed with `yaml` (already installed with @forge/manifest).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { AttributeKind, EntityDefinition } from '../../storage/port';

export interface FunctionDefinition {
  key: string;
  /** e.g. `forge/index.scim`: module `forge/index` (under the source root), export `scim`. */
  handler: string;
  timeoutSeconds?: number;
}

export interface ResolvedHandler {
  /** Absolute module path without extension. */
  module: string;
  exportName: string;
}

export type ModuleKind = 'webtrigger' | 'consumer' | 'scheduledTrigger' | 'resolver';

export interface AppManifest {
  appId: string;
  functions: Map<string, FunctionDefinition>;
  webtriggers: { key: string; function: string }[];
  consumers: { key: string; queue: string; function: string }[];
  scheduledTriggers: { key: string; function: string; interval: ScheduleInterval }[];
  /** UI modules with a resolver: module key, module type, resource key, resolver function. */
  uiModules: { key: string; type: string; resource?: string; resolverFunction?: string }[];
  resources: Map<string, string>;
  scopes: string[];
  /** `permissions.external.fetch.backend` addresses (host names, possibly `*.` wildcards). */
  egress: string[];
  entities: EntityDefinition[];
}

export type ScheduleInterval = 'fiveMinute' | 'hour' | 'day' | 'week';

export const INTERVAL_MS: Record<ScheduleInterval, number> = {
  fiveMinute: 5 * 60_000,
  hour: 60 * 60_000,
  day: 24 * 60 * 60_000,
  week: 7 * 24 * 60 * 60_000,
};

/** The shape of the parts of manifest.yml read here (everything else is ignored). */
interface RawManifest {
  app?: {
    id?: string;
    storage?: {
      entities?: {
        name: string;
        attributes?: Record<string, { type: AttributeKind }>;
        indexes?: (string | { name: string; range: [string]; partition?: string[] })[];
      }[];
    };
  };
  modules?: Record<string, RawModule[] | undefined>;
  resources?: { key: string; path: string }[];
  permissions?: {
    scopes?: (string | Record<string, unknown>)[] | Record<string, unknown>;
    external?: { fetch?: { backend?: (string | { address: string })[] } };
  };
}

interface RawModule {
  key: string;
  function?: string;
  handler?: string;
  timeoutSeconds?: number;
  queue?: string;
  interval?: ScheduleInterval;
  resource?: string;
  resolver?: { function?: string };
}

export function readManifest(file: string): AppManifest {
  return parseManifest(parse(fs.readFileSync(file, 'utf8')) as RawManifest);
}

export function parseManifest(raw: RawManifest): AppManifest {
  const modules = raw.modules ?? {};
  const list = (name: string) => modules[name] ?? [];
  const functions = new Map<string, FunctionDefinition>();
  for (const fn of list('function')) {
    if (!fn.handler) throw new Error(`Function ${fn.key} has no handler.`);
    functions.set(fn.key, { key: fn.key, handler: fn.handler, timeoutSeconds: fn.timeoutSeconds });
  }
  const needFunction = (module: RawModule, type: string): string => {
    const key = module.function;
    if (!key || !functions.has(key)) throw new Error(`${type} ${module.key} names no declared function.`);
    return key;
  };
  const uiModules: AppManifest['uiModules'] = [];
  for (const [type, entries] of Object.entries(modules)) {
    if (['function', 'webtrigger', 'consumer', 'scheduledTrigger'].includes(type)) continue;
    for (const module of entries ?? []) {
      uiModules.push({
        key: module.key,
        type,
        resource: module.resource,
        resolverFunction: module.resolver?.function,
      });
    }
  }
  const scopes = raw.permissions?.scopes ?? [];
  return {
    appId: raw.app?.id ?? 'ari:cloud:ecosystem::app/00000000-0000-4000-8000-000000000000',
    functions,
    webtriggers: list('webtrigger').map((m) => ({ key: m.key, function: needFunction(m, 'webtrigger') })),
    consumers: list('consumer').map((m) => ({
      key: m.key,
      queue: m.queue ?? '',
      function: needFunction(m, 'consumer'),
    })),
    scheduledTriggers: list('scheduledTrigger').map((m) => ({
      key: m.key,
      function: needFunction(m, 'scheduledTrigger'),
      interval: m.interval ?? 'hour',
    })),
    uiModules,
    resources: new Map((raw.resources ?? []).map((r) => [r.key, r.path])),
    scopes: Array.isArray(scopes)
      ? scopes.flatMap((s) => (typeof s === 'string' ? [s] : Object.keys(s)))
      : Object.keys(scopes),
    egress: (raw.permissions?.external?.fetch?.backend ?? []).map((e) =>
      typeof e === 'string' ? e : e.address,
    ),
    entities: (raw.app?.storage?.entities ?? []).map((entity) => ({
      name: entity.name,
      attributes: Object.fromEntries(Object.entries(entity.attributes ?? {}).map(([k, v]) => [k, v.type])),
      indexes: (entity.indexes ?? []).map((index) =>
        typeof index === 'string'
          ? { name: index, range: [index] as [string] }
          : {
              name: index.name,
              range: index.range,
              ...(index.partition ? { partition: index.partition } : {}),
            },
      ),
    })),
  };
}

/** `forge/index.scim` under `sourceRoot` → module `<sourceRoot>/forge/index`, export `scim`. */
export function resolveHandler(sourceRoot: string, handler: string): ResolvedHandler {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0) throw new Error(`Handler "${handler}" is not <module>.<export>.`);
  return { module: path.resolve(sourceRoot, handler.slice(0, dot)), exportName: handler.slice(dot + 1) };
}

/** The documented default and maximum run times (developer.atlassian.com/platform/forge/limits-invocation). */
export function timeoutMs(manifest: AppManifest, functionKey: string, kind: ModuleKind): number {
  if (kind === 'webtrigger') return 55_000;
  if (kind === 'resolver') return 25_000;
  const declared = manifest.functions.get(functionKey)?.timeoutSeconds;
  return Math.min(declared ?? 55, 900) * 1000;
}
