/**
 * Paging of the embedded organization's lists: keyset cursors (base64url JSON of the
 * request and the last key), limits, sort order, and what a search cursor carries where the
 * reference is silent (drawn per cursor).
 */
import { badRequest } from './errors';
import type { Json } from './request';

export const DEFAULT_LIMITS = { users: 50, groups: 20, other: 50, max: 100, inviteEmails: 10 } as const;

/** Keys that order a page; compared element by element. */
export type SortKey = string[];

export interface CursorState {
  op: string;
  dir: string;
  q: Json;
  limit: number;
  after?: SortKey;
  /**
   * POST users/groups search cursors only (the reference is silent whether they carry the
   * filters; drawn per cursor): `query` carries them (filters sent again are discarded);
   * `position` and `refuse` carry the position alone, so the page answers from the filters
   * sent with the cursor, and without any either lists unfiltered (`position`) or, when the
   * search had filters (`filtered`), is refused.
   */
  carry?: SearchCursorCarry;
  filtered?: boolean;
}

export type SearchCursorCarry = 'query' | 'position' | 'refuse';

export function encodeCursor(state: CursorState): string {
  const carried =
    state.carry && state.carry !== 'query'
      ? { ...state, q: {}, filtered: Object.values(state.q).some((v) => v !== undefined && v !== null) }
      : state;
  return Buffer.from(JSON.stringify(carried)).toString('base64url');
}

/**
 * The state a POST search answers a cursor with: what the cursor carries, or (a cursor that
 * carries the position alone) the filters sent with it; without any, unfiltered or refused.
 */
export function resumeSearch(state: CursorState, body: Json): CursorState {
  if (!state.carry || state.carry === 'query') return state;
  const { cursor: _cursor, limit: _limit, ...filters } = body;
  const sent = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined && v !== null));
  if (Object.keys(sent).length > 0) return { ...state, q: sent };
  if (state.carry === 'refuse' && state.filtered) {
    throw badRequest('This cursor does not carry the search: send the filters again with it.', 'ADMIN-400-1');
  }
  return state;
}

export function decodeCursor(cursor: string, op: string, dir: string): CursorState {
  try {
    const state = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorState;
    if (state.op === op && state.dir === dir && typeof state.limit === 'number' && state.q) return state;
  } catch {
    /* falls through to the refusal */
  }
  throw badRequest('The page cursor is not valid for this request.', 'ADMIN-400-1');
}

export function compareKeys(a: SortKey, b: SortKey): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * One page of `items` in key order after the cursor's last key (keyset paging: items added
 * or removed between pages never shift the rest). `links.next` is the cursor to send back.
 */
export function paginate<T>(
  items: T[],
  keyOf: (item: T) => SortKey,
  descending: boolean,
  state: CursorState,
  cursor: string | undefined,
): { data: T[]; links: { self: string | null; next: string | null }; offset: number } {
  const direction = descending ? -1 : 1;
  const keyed = items.map((item) => ({ item, key: keyOf(item) }));
  keyed.sort((a, b) => direction * compareKeys(a.key, b.key));
  const after = state.after;
  const rest = after ? keyed.filter((k) => direction * compareKeys(k.key, after) > 0) : keyed;
  const page = rest.slice(0, state.limit);
  const more = rest.length > page.length;
  return {
    data: page.map((k) => k.item),
    links: {
      self: cursor ?? null,
      next: more ? encodeCursor({ ...state, after: page[page.length - 1].key }) : null,
    },
    offset: keyed.length - rest.length,
  };
}

export function pageLimit(value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'string' ? Number(value) : value;
  // UNCONFIRMED maximum: two independent clients send 100; above it we refuse rather than cap,
  // so a client asking for more learns it at once.
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > DEFAULT_LIMITS.max) {
    throw badRequest(`limit must be an integer from 1 to ${DEFAULT_LIMITS.max}.`);
  }
  return n;
}

export function sortDirection(value: unknown, field: string): boolean {
  if (value === undefined || value === null) return false;
  if (!Array.isArray(value) || value.length > 1) throw badRequest('sortBy takes at most one element.');
  if (value.length === 0) return false;
  const [first] = value as { field?: unknown; direction?: unknown }[];
  if (first?.field !== field || (first.direction !== 'asc' && first.direction !== 'desc')) {
    throw badRequest(`sortBy supports only {"field":"${field}","direction":"asc"|"desc"}.`);
  }
  return first.direction === 'desc';
}

/** What the next POST search cursor carries (CursorState.carry), drawn per cursor. */
export function drawCursorCarry(random: () => number): SearchCursorCarry {
  const draw = random();
  return draw < 1 / 3 ? 'query' : draw < 2 / 3 ? 'position' : 'refuse';
}
