/**
 * Checks a request against the contract, ../shared/specs/admin-organization-v2.derived.json
 * (and, for GET /v1/orgs only, Atlassian's 2022 v1 document beside it): the method and path
 * template exist, every query parameter is declared, a body is sent exactly when the
 * operation takes one, with a declared content type, its required fields, no unknown fields,
 * and values of the declared types and enums. The specs are read, never copied here.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RecordedRequest } from './fake-org';

export const SPECS_DIR = path.resolve(__dirname, '../../../shared/specs');
export const V2_SPEC = path.join(SPECS_DIR, 'admin-organization-v2.derived.json');
export const V1_SPEC = path.join(SPECS_DIR, 'admin-organization-v1.2022-08-29.json');

/** Why the contract cannot be checked here, or undefined when it can. */
export function specMissing(): string | undefined {
  return fs.existsSync(V2_SPEC) && fs.existsSync(V1_SPEC)
    ? undefined
    : `skipped: ${path.relative(process.cwd(), SPECS_DIR)}/ with the Organizations API contract is not beside this repository`;
}

interface Schema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  maxProperties?: number;
  nullable?: boolean;
  anyOf?: Schema[];
  additionalProperties?: boolean | Schema;
}
interface Parameter {
  $ref?: string;
  name?: string;
  in?: string;
  required?: boolean;
}
interface Operation {
  operationId?: string;
  deprecated?: boolean;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> };
}
interface Spec {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas?: Record<string, Schema>; parameters?: Record<string, Parameter> };
}

export class Contract {
  private readonly v2: Spec;
  private readonly v1: Spec;

  constructor() {
    this.v2 = JSON.parse(fs.readFileSync(V2_SPEC, 'utf8')) as Spec;
    this.v1 = JSON.parse(fs.readFileSync(V1_SPEC, 'utf8')) as Spec;
  }

  /** Every operation of the v2 contract, as `METHOD template (operationId)`. */
  operations(): string[] {
    return Object.entries(this.v2.paths).flatMap(([template, ops]) =>
      Object.entries(ops).map(([method, op]) => `${method.toUpperCase()} ${template} (${op.operationId})`),
    );
  }

  /** The operation a request matches, and what is wrong with the request (empty when fine). */
  check(request: RecordedRequest): { operation?: string; deprecated?: boolean; problems: string[] } {
    // Paths are recorded under /admin; v1 paths are relative to /admin/v1 in their document.
    const [spec, requestPath] =
      request.path.startsWith('/v1/orgs') && !request.path.includes('/users/')
        ? [this.v1, request.path.slice('/v1'.length)]
        : [this.v2, request.path];
    const match = Object.entries(spec.paths).find(([template, ops]) => {
      const re = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      return re.test(requestPath) && ops[request.method.toLowerCase()] !== undefined;
    });
    if (!match) return { problems: [`${request.method} ${request.path}: no such operation in the contract`] };
    const [template, ops] = match;
    const op = ops[request.method.toLowerCase()];
    const name = `${request.method} ${template} (${op.operationId})`;
    const problems: string[] = [];
    const say = (text: string) => problems.push(`${name}: ${text}`);

    const declared = (op.parameters ?? []).map((p) => this.param(spec, p)).filter((p) => p.in === 'query');
    for (const key of Object.keys(request.query)) {
      if (!declared.some((p) => p.name === key)) say(`query parameter ${key} is not declared`);
    }

    if (!op.requestBody) {
      if (request.rawBody !== undefined) say('sends a body but the operation takes none');
      if (request.contentType) say(`sends Content-Type ${request.contentType} without a body`);
    } else if (request.rawBody === undefined) {
      if (op.requestBody.required) say('sends no body but one is required');
    } else {
      const types = Object.keys(op.requestBody.content);
      const type = (request.contentType ?? '').split(';')[0].trim();
      if (!types.includes(type))
        say(`Content-Type ${request.contentType ?? '(none)'} is not one of ${types.join(', ')}`);
      const schema = op.requestBody.content[types.includes(type) ? type : types[0]].schema;
      problems.push(...this.value(spec, schema, request.body, 'body').map((p) => `${name}: ${p}`));
    }
    return { operation: name, ...(op.deprecated ? { deprecated: true } : {}), problems };
  }

  private param(spec: Spec, p: Parameter): Parameter {
    if (!p.$ref) return p;
    return spec.components.parameters?.[p.$ref.split('/').pop() as string] ?? {};
  }

  private resolve(spec: Spec, schema: Schema): Schema {
    let s = schema;
    while (s.$ref) s = spec.components.schemas?.[s.$ref.split('/').pop() as string] ?? {};
    return s;
  }

  /** Type, enum, required and unknown-field checks, recursively. */
  private value(spec: Spec, raw: Schema, value: unknown, at: string): string[] {
    const schema = this.resolve(spec, raw);
    if (value === null) return schema.nullable ? [] : [`${at} is null`];
    if (schema.anyOf) {
      return schema.anyOf.some((s) => this.value(spec, s, value, at).length === 0)
        ? []
        : [`${at} matches no variant`];
    }
    if (schema.enum && !schema.enum.includes(value))
      return [`${at} = ${JSON.stringify(value)} is not one of the enum`];
    switch (schema.type) {
      case 'string':
        return typeof value === 'string' ? [] : [`${at} is not a string`];
      case 'boolean':
        return typeof value === 'boolean' ? [] : [`${at} is not a boolean`];
      case 'integer':
        return Number.isInteger(value) ? [] : [`${at} is not an integer`];
      case 'number':
        return typeof value === 'number' ? [] : [`${at} is not a number`];
      case 'array':
        if (!Array.isArray(value)) return [`${at} is not an array`];
        return value.flatMap((item, i) =>
          schema.items ? this.value(spec, schema.items, item, `${at}[${i}]`) : [],
        );
      case 'object':
      case undefined: {
        if (schema.type === undefined && !schema.properties) return [];
        if (typeof value !== 'object' || Array.isArray(value)) return [`${at} is not an object`];
        const record = value as Record<string, unknown>;
        const problems: string[] = [];
        if (schema.maxProperties !== undefined && Object.keys(record).length > schema.maxProperties) {
          problems.push(`${at} has more than ${schema.maxProperties} properties`);
        }
        for (const field of schema.required ?? []) {
          if (!(field in record)) problems.push(`${at}.${field} is required but missing`);
        }
        for (const [key, item] of Object.entries(record)) {
          const property = schema.properties?.[key];
          if (property) problems.push(...this.value(spec, property, item, `${at}.${key}`));
          else if (schema.additionalProperties === undefined || schema.additionalProperties === false) {
            problems.push(`${at}.${key} is not a field of the operation`);
          }
        }
        return problems;
      }
      default:
        return [];
    }
  }
}
