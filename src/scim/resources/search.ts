/**
 * Runs a filtered query over a collection. The planner's index lookup supplies candidates
 * (or, for filters no index serves, the whole collection one storage page at a time);
 * each candidate is checked against the full filter; only the requested window is kept,
 * so memory stays at one storage page plus one response page.
 */
import { badRequest } from '../errors';
import { compileFilter, Predicate } from '../filter/evaluate';
import { parseScimFilter } from '../filter/parse';
import { Filter } from '../filter/parse';
import { IndexedAttribute, Plan, planFilter } from '../filter/plan';
import { resolvePath } from '../schema/paths';
import { ResourceTypeDefinition } from '../schema/definitions';
import { ScimObject } from '../schema/normalize';
import type { Revision, ResourceStore, StoredResource } from '../store';

export interface SearchOptions {
  collection: ResourceStore<Revision>;
  type: ResourceTypeDefinition;
  /** The representation a filter sees (without computed members or groups). */
  represent: (stored: StoredResource) => ScimObject;
  /** Attributes whose filters we refuse, with the reason. */
  unfilterable?: Record<string, string>;
  /** Resources a filter without a usable index may examine before we give up. */
  scanLimit: number;
}

export interface SearchResult {
  total: number;
  items: StoredResource[];
}

export async function search(
  options: SearchOptions,
  filterText: string,
  startIndex: number,
  count: number,
): Promise<SearchResult> {
  const filter = parseScimFilter(filterText);
  for (const path of attributePaths(filter)) {
    const name = resolvePath(options.type, path)?.attribute.name;
    const reason = name === undefined ? undefined : options.unfilterable?.[name];
    if (reason) throw badRequest('invalidFilter', reason);
  }
  const predicate: Predicate = compileFilter(options.type, filter);
  const plan = planFilter(options.type, indexedAttributes(options.collection), filter);
  const items: StoredResource[] = [];
  let total = 0;
  for await (const candidate of candidates(options, plan)) {
    if (!predicate(options.represent(candidate))) continue;
    total++;
    if (total >= startIndex && items.length < count) items.push(candidate);
  }
  return { total, items };
}

/** What a filter can be narrowed by: the id, then the store's lookups, best first. */
function indexedAttributes(collection: ResourceStore<Revision>): IndexedAttribute[] {
  return [
    { path: 'id', lookup: 'id' },
    ...collection.lookups.map((l) => ({ path: l.attribute, lookup: 'attribute' as const, prefix: l.prefix })),
  ];
}

/** The attribute paths a filter names (not the sub-attributes inside a value filter). */
function attributePaths(filter: Filter): string[] {
  switch (filter.op) {
    case 'and':
    case 'or':
      return filter.filters.flatMap(attributePaths);
    case 'not':
      return attributePaths(filter.filter);
    default:
      return [filter.attrPath];
  }
}

async function* candidates(options: SearchOptions, plan: Plan): AsyncGenerator<StoredResource> {
  const { collection } = options;
  switch (plan.kind) {
    case 'ids':
      for (const id of plan.ids) {
        const found = await collection.get(id);
        if (found) yield found;
      }
      return;
    case 'lookup': {
      const { kind: _kind, ...lookup } = plan;
      let cursor: string | undefined;
      do {
        const page = await collection.find(lookup, cursor);
        yield* page.items;
        cursor = page.nextCursor;
      } while (cursor);
      return;
    }
    case 'union': {
      const seen = new Set<string>();
      for (const part of plan.plans) {
        for await (const candidate of candidates(options, part)) {
          if (seen.has(candidate.id)) continue;
          seen.add(candidate.id);
          yield candidate;
        }
      }
      return;
    }
    case 'scan': {
      let examined = 0;
      let cursor: string | undefined;
      do {
        const page = await collection.scan(cursor);
        examined += page.items.length;
        if (examined > options.scanLimit) {
          throw badRequest(
            'tooMany',
            `This filter has no index and the collection is larger than ${options.scanLimit} ` +
              `resources. Filter on ${indexedAttributes(collection)
                .map((a) => a.path)
                .join(', ')} instead.`,
          );
        }
        yield* page.items;
        cursor = page.nextCursor;
      } while (cursor);
    }
  }
}
