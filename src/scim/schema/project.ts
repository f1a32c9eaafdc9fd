/**
 * The `attributes` and `excludedAttributes` query parameters (RFC 7644 §3.4.2.5, §3.9),
 * applied to a rendered resource according to each attribute's "returned" characteristic.
 * Also tells the endpoints which costly computed attributes (group members, a user's
 * groups) a response needs at all.
 */
import { badRequest } from '../errors';
import { compileElementFilter } from '../filter/evaluate';
import { parseScimFilter } from '../filter/parse';
import { AttributeDefinition, commonAttributes, ResourceTypeDefinition } from './definitions';
import { findAttribute, isUnknownExtension, resolvePath } from './paths';
import { isPlainObject, ScimObject } from './normalize';

interface Selection {
  /** Extension URN or "" for core and common attributes. */
  scope: string;
  attribute: AttributeDefinition;
  sub?: AttributeDefinition;
  /** `emails[type eq "work"]`: keep only the matching values. */
  elementFilter?: (element: ScimObject) => boolean;
}

/**
 * What `attributes` or `excludedAttributes` says about extensions we do not define (kept as
 * sent, see normalize.ts): the lower-cased URN-qualified items, `urn:…:User` for the whole
 * extension or `urn:…:User:costCenter` for one attribute. They have no definitions, so they
 * are matched against the stored URN when a resource is projected.
 */
type UrnItems = string[];

export class Projection {
  private constructor(
    private readonly type: ResourceTypeDefinition,
    private readonly include: Selection[] | undefined,
    private readonly exclude: Selection[],
    private readonly includeUrns: UrnItems = [],
    private readonly excludeUrns: UrnItems = [],
  ) {}

  static parse(type: ResourceTypeDefinition, attributes?: string, excluded?: string): Projection {
    const include = attributes?.trim() ? selections(type, attributes) : undefined;
    const exclude = excluded?.trim() ? selections(type, excluded) : [];
    return new Projection(type, include, exclude, urnItems(attributes), urnItems(excluded));
  }

  static all(type: ResourceTypeDefinition): Projection {
    return new Projection(type, undefined, []);
  }

  /** Whether the response will contain top-level attribute `name` (e.g. "members"). */
  wants(name: string): boolean {
    const attribute = findAttribute(this.type.schema.attributes, name);
    if (!attribute) return false;
    if (this.include) return this.include.some((s) => s.scope === '' && s.attribute === attribute);
    if (attribute.returned === 'request') return false;
    return !this.exclude.some((s) => s.scope === '' && s.attribute === attribute && !s.sub);
  }

  apply(resource: ScimObject): ScimObject {
    const result: ScimObject = {};
    for (const [key, value] of Object.entries(resource)) {
      if (key === 'schemas') {
        result[key] = value;
        continue;
      }
      const extension = key.startsWith('urn:') ? this.type.extensions.find((e) => e.id === key) : undefined;
      if (extension && this.exclude.some((s) => s.scope === key && s.attribute === WHOLE_SCOPE)) continue;
      if (extension) {
        const inner = this.applyScope(key, extension.attributes, value as ScimObject);
        if (Object.keys(inner).length > 0) result[key] = inner;
        continue;
      }
      if (isPlainObject(value) && key.startsWith('urn:') && isUnknownExtension(key)) {
        const inner = this.applyUnknownExtension(key, value);
        if (Object.keys(inner).length > 0) result[key] = inner;
        continue;
      }
      const definition =
        findAttribute(this.type.schema.attributes, key) ?? findAttribute(commonAttributes, key);
      if (!definition) continue;
      const kept = this.keep('', definition, value);
      if (kept !== undefined) result[key] = kept;
    }
    return result;
  }

  private applyScope(scope: string, attributes: AttributeDefinition[], value: ScimObject): ScimObject {
    const result: ScimObject = {};
    const wholeScopeRequested = this.include?.some((s) => s.scope === scope && !s.attribute.name);
    for (const [key, inner] of Object.entries(value)) {
      const definition = findAttribute(attributes, key);
      if (!definition) continue;
      const kept = wholeScopeRequested ? inner : this.keep(scope, definition, inner);
      if (kept !== undefined) result[key] = kept;
    }
    return result;
  }

  /** Its attributes are "returned": "default": all unless asked for others or excluded. */
  private applyUnknownExtension(urn: string, value: ScimObject): ScimObject {
    const scope = urn.toLowerCase();
    // `urn:…:User:manager.value` selects manager: what follows the stored URN is the attribute.
    const named = (items: UrnItems) =>
      new Set(
        items.filter((i) => i.startsWith(`${scope}:`)).map((i) => i.slice(scope.length + 1).split(/[.[]/)[0]),
      );
    if (this.include) {
      if (this.includeUrns.includes(scope)) return value;
      const wanted = named(this.includeUrns);
      return Object.fromEntries(Object.entries(value).filter(([name]) => wanted.has(name.toLowerCase())));
    }
    if (this.excludeUrns.includes(scope)) return {};
    const unwanted = named(this.excludeUrns);
    return Object.fromEntries(Object.entries(value).filter(([name]) => !unwanted.has(name.toLowerCase())));
  }

  private keep(scope: string, definition: AttributeDefinition, value: unknown): unknown {
    if (definition.returned === 'never') return undefined;
    if (definition.returned === 'always') return value;
    // The common case, a list or GET without parameters, needs no selection at all (and
    // runs for every attribute of every resource of a page: no closures before this point).
    if (!this.include && this.exclude.length === 0)
      return definition.returned === 'request' ? undefined : value;
    const matches = (s: Selection) => s.scope === scope && s.attribute === definition;
    if (this.include) {
      const selected = this.include.filter(matches);
      if (selected.length === 0) return undefined;
      return narrow(value, selected);
    }
    if (definition.returned === 'request') return undefined;
    const excluded = this.exclude.filter(matches);
    if (excluded.some((s) => !s.sub)) return undefined;
    return excluded.length > 0 ? without(value, excluded) : value;
  }
}

/** Keeps the requested sub-attributes and values of one attribute. */
function narrow(value: unknown, selected: Selection[]): unknown {
  if (selected.some((s) => !s.sub && !s.elementFilter)) return value;
  const filters = selected.map((s) => s.elementFilter).filter((f) => f !== undefined);
  const subs = selected.map((s) => s.sub?.name).filter((n) => n !== undefined);
  const pick = (element: unknown): unknown => {
    if (!isPlainObject(element)) return element;
    if (subs.length === 0 || selected.some((s) => !s.sub)) return element;
    const picked: ScimObject = {};
    for (const name of subs) if (element[name] !== undefined) picked[name] = element[name];
    return Object.keys(picked).length > 0 ? picked : undefined;
  };
  if (Array.isArray(value)) {
    const kept = value
      .filter((e) => filters.length === 0 || (isPlainObject(e) && filters.some((f) => f(e))))
      .map(pick)
      .filter((e) => e !== undefined);
    return kept.length > 0 ? kept : undefined;
  }
  return pick(value);
}

function without(value: unknown, excluded: Selection[]): unknown {
  const names = new Set(excluded.map((s) => s.sub?.name));
  const drop = (element: unknown) => {
    if (!isPlainObject(element)) return element;
    const copy = { ...element };
    for (const name of names) if (name) delete copy[name];
    return copy;
  };
  return Array.isArray(value) ? value.map(drop) : drop(value);
}

/** Splits "a,b[x eq "1,2"],c" at top-level commas only. */
export function splitAttributeList(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"' && text[i - 1] !== '\\') quoted = !quoted;
    if (!quoted && char === '[') depth++;
    if (!quoted && char === ']') depth--;
    if (!quoted && depth === 0 && char === ',') {
      parts.push(current.trim());
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current.trim());
  return parts.filter((p) => p !== '');
}

const WHOLE_SCOPE: AttributeDefinition = {
  name: '',
  type: 'complex',
  multiValued: false,
  description: '',
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
};

/** The URN-qualified items of an attribute list, lower-cased. */
function urnItems(text: string | undefined): UrnItems {
  return splitAttributeList(text ?? '')
    .filter((item) => /^urn:/i.test(item))
    .map((item) => item.toLowerCase());
}

function selections(type: ResourceTypeDefinition, text: string): Selection[] {
  const result: Selection[] = [];
  for (const item of splitAttributeList(text)) {
    const bracket = /^(.*?)\[(.*)\](?:\.(.+))?$/s.exec(item);
    const path = bracket ? (bracket[3] ? `${bracket[1]}.${bracket[3]}` : bracket[1]) : item;
    const extension = type.extensions.find((e) => e.id.toLowerCase() === path.toLowerCase());
    if (extension) {
      result.push({ scope: extension.id, attribute: WHOLE_SCOPE });
      continue;
    }
    // Unknown names are ignored: asking for an attribute we do not have is not an error.
    const resolved = resolvePath(type, path);
    if (!resolved) continue;
    const selection: Selection = {
      scope: resolved.extension ?? '',
      attribute: resolved.attribute,
      sub: resolved.subAttribute,
    };
    if (bracket) {
      if (resolved.attribute.type !== 'complex' || !resolved.attribute.multiValued) {
        throw badRequest('invalidValue', `"${bracket[1]}" cannot take a value filter.`);
      }
      selection.elementFilter = compileElementFilter(resolved.attribute, parseScimFilter(bracket[2]));
    }
    result.push(selection);
  }
  return result;
}
