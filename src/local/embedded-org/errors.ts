/**
 * The embedded organization's error answers: Atlassian's common envelope (organization.ts
 * shows it) with the catalogue's codes, and the refusal a handler throws to answer with one.
 */
import { randomUUID } from 'node:crypto';
import type { OrgResponse } from './types';

/** A request that cannot be answered normally: carries its error answer. */
export class Refusal extends Error {
  constructor(readonly response: OrgResponse) {
    super(response.body);
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  504: 'Gateway Timeout',
};

export function errorResponse(
  status: number,
  code: string,
  detail: string,
  headers: Record<string, string> = {},
): OrgResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({
      errors: [{ id: randomUUID(), status: String(status), code, title: TITLES[status] ?? 'Error', detail }],
    }),
  };
}

export const refuse = (status: number, code: string, detail: string): Refusal =>
  new Refusal(errorResponse(status, code, detail));
export const badRequest = (detail: string, code = 'ADMIN-400-24') => refuse(400, code, detail);
