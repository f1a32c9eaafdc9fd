/**
 * Picks the index that answers a filter, so identity-provider lookups never scan.
 * The plan only narrows the candidates; every candidate is still checked against the
 * whole filter, so a plan can be loose but never wrong.
 */
import { ResourceTypeDefinition } from '../schema/definitions';
import { findAttribute, resolvePath, canonicalPath } from '../schema/paths';
import type { AttributeLookup } from '../store';
import type { Filter } from './parse';

/** Indexed attributes of a resource type, by canonical path, best first. */
export interface IndexedAttribute {
  path: string;
  /** Which lookup serves it: the resource id, or the store's lookup by attribute. */
  lookup: 'id' | 'attribute';
  /** Whether a prefix ("sw") query can use it. */
  prefix?: boolean;
}

export type Plan =
  | { kind: 'ids'; ids: string[] }
  | ({ kind: 'lookup' } & AttributeLookup)
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
    if (op === 'sw' && !attribute.prefix) return undefined;
    // "emails eq x" compares the value sub-attribute, so its caseExact is the one that counts.
    const compared =
      resolved.subAttribute ??
      (resolved.attribute.type === 'complex'
        ? findAttribute(resolved.attribute.subAttributes, 'value')
        : resolved.attribute);
    return { kind: 'lookup', attribute: path, operator: op, value: text, caseExact: !!compared?.caseExact };
  }

  function rank(p: Plan): number {
    switch (p.kind) {
      case 'ids':
        return 0;
      case 'lookup':
        return p.operator === 'eq' ? 1 + indexed.findIndex((a) => a.path === p.attribute) : 20;
      case 'union':
        return 30;
      default:
        return 40;
    }
  }
}
