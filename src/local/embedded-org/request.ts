/**
 * What a handler of the embedded organization reads from a request (route parameters, query,
 * the JSON body and its fields) and the plain answers it gives; refusals are errors.ts.
 */
import { badRequest, refuse } from './errors';
import type { OrgRequest, OrgResponse } from './types';

export type Json = Record<string, unknown>;

export const ok = (body: unknown, status = 200): OrgResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
export const noContent = (status = 204): OrgResponse => ({ status, headers: {} });

export interface Context {
  request: OrgRequest;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body ({} when empty). */
  body: () => Json;
}

// ---- body validation ------------------------------------------------------------------------

export function optionalStrings(body: Json, field: string, allowed?: string[]): string[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw badRequest(`${field} must be an array of strings.`);
  }
  const bad = allowed ? value.find((v) => !allowed.includes(v as string)) : undefined;
  if (bad !== undefined) throw badRequest(`${field}: unknown value ${JSON.stringify(bad)}.`);
  return value as string[];
}

export function optionalString(body: Json, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badRequest(`${field} must be a string.`);
  return value;
}

export function optionalBoolean(body: Json, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw badRequest(`${field} must be a boolean.`);
  return value;
}

/** Query parameters as a body: repeated keys and comma-separated values both give arrays. */
export function queryAsBody(query: URLSearchParams, arrays: string[]): Json {
  const body: Json = {};
  for (const key of new Set(query.keys())) {
    if (key === 'cursor') continue;
    const values = query.getAll(key);
    if (arrays.includes(key)) body[key] = values.flatMap((v) => v.split(',')).filter((v) => v !== '');
    else if (key === 'sortBy') {
      try {
        body.sortBy = JSON.parse(values[0]) as unknown;
      } catch {
        throw badRequest('sortBy must be a URL-encoded JSON array.');
      }
    } else if (values[0] === 'true' || values[0] === 'false') body[key] = values[0] === 'true';
    else body[key] = values[0];
  }
  return body;
}

export function headerOf(request: OrgRequest, name: string): string | undefined {
  for (const [key, value] of Object.entries(request.headers ?? {})) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(', ') : value;
  }
  return undefined;
}

export function parseBody(request: OrgRequest): Json {
  const text = request.body?.trim();
  if (!text) return {};
  const type = headerOf(request, 'content-type');
  if (type !== undefined && !/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw refuse(415, 'ADMIN-UAM-415-1', `Content-Type ${type} is not supported; send application/json.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('The body is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest('The body must be a JSON object.');
  }
  return value as Json;
}
