/**
 * Picks the index that answers a filter, so identity-provider lookups never scan.
 * The plan only narrows the candidates; every candidate is still checked against the
 * whole filter, so a plan can be loose but never wrong.
 */
import { ResourceTypeDefinition } from '../schema/definitions';
import { resolvePath, canonicalPath } from '../schema/paths';
import type { Filter } from './parse';

/** Indexed attributes of a resource type, by canonical path, best first. */
export interface IndexedAttribute {
  path: string;
  /** Which lookup serves it. */
  lookup: 'id' | 'email' | 'index';
  index?: string;
  /** Whether the index stores the value case-folded. */
  folded?: boolean;
  /** Whether a prefix ("sw") query can use it. */
  prefix?: boolean;
}

export type Plan =
  | { kind: 'ids'; ids: string[] }
  | { kind: 'email'; value: string }
  | { kind: 'index'; index: string; op: 'equalTo' | 'beginsWith'; value: string; folded: boolean }
  | { kind: 'union'; plans: Plan[] }
  | { kind: 'scan' };

export function planFilter(type: ResourceTypeDefinition, indexed: IndexedAttribute[], filter: Filter): Plan {
  return plan(filter) ?? { kind: 'scan' };

  function plan(f: Filter): Plan | undefined {
    switch (f.op) {
      case 'and': {
        const plans = f.filters.map(plan).filter((p): p is Plan => p !== undefined);
        return plans.sort((a, b) => rank(a) - rank(b))[0];
      }
      case 'or': {
        const plans = f.filters.map(plan);
        return plans.every((p) => p !== undefined) ? { kind: 'union', plans: plans as Plan[] } : undefined;
      }
      case '[]':
        // emails[type eq "work" and value eq "x"]: the value condition is indexable.
        return planWithin(f.attrPath, f.valFilter);
      case 'eq':
      case 'sw':
        return compare(f.attrPath, f.op, f.compValue);
      default:
        return undefined;
    }
  }

  function planWithin(attrPath: string, f: Filter): Plan | undefined {
    switch (f.op) {
      case 'and': {
        const plans = f.filters.map((g) => planWithin(attrPath, g)).filter((p): p is Plan => !!p);
        return plans.sort((a, b) => rank(a) - rank(b))[0];
      }
      case 'eq':
      case 'sw':
        return compare(`${attrPath}.${f.attrPath}`, f.op, f.compValue);
      default:
        return undefined;
    }
  }

  function compare(attrPath: string, op: 'eq' | 'sw', value: unknown): Plan | undefined {
    if (typeof value !== 'string' && typeof value !== 'number') return undefined;
    const resolved = resolvePath(type, attrPath);
    if (!resolved) return undefined;
    let path = canonicalPath(resolved);
    // "emails eq x" means the value sub-attribute.
    if (!resolved.subAttribute && resolved.attribute.type === 'complex') path += '.value';
    const attribute = indexed.find((a) => a.path === path);
    if (!attribute) return undefined;
    const text = String(value);
    if (attribute.lookup === 'id') return op === 'eq' ? { kind: 'ids', ids: [text] } : undefined;
    if (attribute.lookup === 'email') return op === 'eq' ? { kind: 'email', value: text } : undefined;
    if (op === 'sw' && !attribute.prefix) return undefined;
    return {
      kind: 'index',
      index: attribute.index as string,
      op: op === 'eq' ? 'equalTo' : 'beginsWith',
      value: text,
      folded: !!attribute.folded,
    };
  }

  function rank(p: Plan): number {
    switch (p.kind) {
      case 'ids':
        return 0;
      case 'index':
        return p.op === 'equalTo' ? 1 + indexed.findIndex((a) => a.index === p.index) : 20;
      case 'email':
        return 10;
      case 'union':
        return 30;
      default:
        return 40;
    }
  }
}
