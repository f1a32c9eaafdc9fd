/**
 * Evaluates a parsed filter against a resource, honouring each attribute's type and
 * caseExact characteristic (userName matches case-insensitively, externalId exactly).
 * Attribute paths are checked once, when the filter is compiled, so an unknown attribute
 * is a 400 invalidFilter rather than a silent "no match".
 */
import { badRequest } from '../errors';
import { AttributeDefinition, ResourceTypeDefinition } from '../schema/definitions';
import { isPlainObject, ScimObject } from '../schema/normalize';
import { findAttribute, resolvePath, ResolvedPath } from '../schema/paths';
import type { Filter } from './parse';

export type Predicate = (resource: ScimObject) => boolean;
type Primitive = string | number | boolean | null;
type Getter = (resource: ScimObject) => unknown[];

const SUBSTRING = new Set(['co', 'sw', 'ew']);

export function compileFilter(type: ResourceTypeDefinition, filter: Filter): Predicate {
  return compile(filter, (path) => {
    const resolved = resolvePath(type, path);
    if (!resolved) throw badRequest('invalidFilter', `Unknown attribute "${path}" in filter.`);
    return { definition: leafDefinition(resolved), get: topLevelGetter(resolved), resolved };
  });
}

/**
 * A value filter (`type eq "work"` in `emails[type eq "work"]`) as a predicate on one
 * element of the complex attribute, with the sub-attributes' caseExact applied.
 */
export function compileElementFilter(attribute: AttributeDefinition, filter: Filter): Predicate {
  return compile(filter, subResolver(attribute));
}

interface Target {
  definition: AttributeDefinition;
  get: Getter;
  resolved?: ResolvedPath;
}
type Resolver = (path: string) => Target;

function compile(filter: Filter, resolve: Resolver): Predicate {
  switch (filter.op) {
    case 'and': {
      const parts = filter.filters.map((f) => compile(f, resolve));
      return (r) => parts.every((p) => p(r));
    }
    case 'or': {
      const parts = filter.filters.map((f) => compile(f, resolve));
      return (r) => parts.some((p) => p(r));
    }
    case 'not': {
      const inner = compile(filter.filter, resolve);
      return (r) => !inner(r);
    }
    case '[]': {
      const target = resolve(filter.attrPath);
      const attribute = target.resolved?.attribute;
      if (!attribute || attribute.type !== 'complex' || target.resolved?.subAttribute) {
        throw badRequest('invalidFilter', `"${filter.attrPath}" is not a complex attribute.`);
      }
      const inner = compile(filter.valFilter, subResolver(attribute));
      const container = containerGetter(target.resolved as ResolvedPath);
      return (r) => {
        const value = container(r)?.[attribute.name];
        const elements = Array.isArray(value) ? value : value === undefined ? [] : [value];
        return elements.some((element) => isPlainObject(element) && inner(element));
      };
    }
    case 'pr': {
      const target = resolve(filter.attrPath);
      const resolved = target.resolved;
      // "name pr": a complex attribute is present when it has any non-empty sub-attribute.
      const get =
        resolved && !resolved.subAttribute && resolved.attribute.type === 'complex'
          ? (r: ScimObject) => asList(containerGetter(resolved)(r)?.[resolved.attribute.name])
          : target.get;
      return (r) => get(r).some(isPresent);
    }
    default: {
      const target = resolve(filter.attrPath);
      // "ne" is "not eq": a resource without the attribute matches it.
      const negate = filter.op === 'ne';
      const op = negate ? 'eq' : filter.op;
      const compare = comparator(target.definition, op, filter.compValue, filter.attrPath);
      return (r) => target.get(r).some(compare) !== negate;
    }
  }
}

/** Inside `attr[...]`, names refer to the sub-attributes of attr. */
function subResolver(attribute: AttributeDefinition): Resolver {
  return (path) => {
    const sub = findAttribute(attribute.subAttributes, path);
    if (!sub) {
      throw badRequest('invalidFilter', `Unknown sub-attribute "${path}" of "${attribute.name}".`);
    }
    return { definition: sub, get: (element) => asList(element[sub.name]) };
  };
}

function leafDefinition(resolved: ResolvedPath): AttributeDefinition {
  if (resolved.subAttribute) return resolved.subAttribute;
  const { attribute } = resolved;
  // "emails eq x" compares against the value sub-attribute (RFC 7644 §3.4.2.2).
  if (attribute.type === 'complex') return findAttribute(attribute.subAttributes, 'value') ?? attribute;
  return attribute;
}

function containerGetter(resolved: ResolvedPath): (r: ScimObject) => ScimObject | undefined {
  if (!resolved.extension) return (r) => r;
  const urn = resolved.extension;
  return (r) => (isPlainObject(r[urn]) ? (r[urn] as ScimObject) : undefined);
}

function topLevelGetter(resolved: ResolvedPath): Getter {
  const container = containerGetter(resolved);
  const { attribute, subAttribute } = resolved;
  const subName = subAttribute?.name ?? (attribute.type === 'complex' ? 'value' : undefined);
  return (r) => {
    const value = container(r)?.[attribute.name];
    if (subName === undefined) return asList(value);
    return asList(value).flatMap((element) => (isPlainObject(element) ? asList(element[subName]) : []));
  };
}

function isPresent(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return false;
  return !isPlainObject(value) || Object.values(value).some(isPresent);
}

function asList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function comparator(
  definition: AttributeDefinition,
  op: string,
  expected: Primitive,
  path: string,
): (actual: unknown) => boolean {
  if (expected === null) {
    // "attr eq null" has no RFC meaning; treat it as "has no value" so it never errors.
    return () => false;
  }
  if (definition.type === 'boolean') {
    if (op !== 'eq') {
      throw badRequest('invalidFilter', `Operator "${op}" is not defined for boolean "${path}".`);
    }
    const wanted = typeof expected === 'string' ? expected.trim().toLowerCase() === 'true' : expected;
    return (actual) => actual === wanted;
  }
  if (definition.type === 'integer' || definition.type === 'decimal') {
    const wanted = Number(expected);
    if (Number.isNaN(wanted)) throw badRequest('invalidFilter', `"${path}" compares numbers.`);
    return numeric(op, wanted, path);
  }
  if (definition.type === 'dateTime' && !SUBSTRING.has(op)) {
    const wanted = Date.parse(String(expected));
    if (Number.isNaN(wanted)) throw badRequest('invalidFilter', `"${path}" compares dates.`);
    const compare = numeric(op, wanted, path);
    return (actual) => typeof actual === 'string' && compare(Date.parse(actual));
  }
  const fold = (s: string) => (definition.caseExact ? s : s.toLowerCase());
  const wanted = fold(String(expected));
  const test = stringTest(op, wanted);
  return (actual) => (typeof actual === 'string' ? test(fold(actual)) : false);
}

function numeric(op: string, wanted: number, path: string): (actual: unknown) => boolean {
  const test: Record<string, (a: number) => boolean> = {
    eq: (a) => a === wanted,
    gt: (a) => a > wanted,
    ge: (a) => a >= wanted,
    lt: (a) => a < wanted,
    le: (a) => a <= wanted,
  };
  const fn = test[op];
  if (!fn) throw badRequest('invalidFilter', `Operator "${op}" is not defined for "${path}".`);
  return (actual) => typeof actual === 'number' && !Number.isNaN(actual) && fn(actual);
}

function stringTest(op: string, wanted: string): (actual: string) => boolean {
  switch (op) {
    case 'eq':
      return (a) => a === wanted;
    case 'co':
      return (a) => a.includes(wanted);
    case 'sw':
      return (a) => a.startsWith(wanted);
    case 'ew':
      return (a) => a.endsWith(wanted);
    case 'gt':
      return (a) => a > wanted;
    case 'ge':
      return (a) => a >= wanted;
    case 'lt':
      return (a) => a < wanted;
    case 'le':
      return (a) => a <= wanted;
    default:
      throw badRequest('invalidFilter', `Unknown operator "${op}".`);
  }
}
