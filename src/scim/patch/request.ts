/**
 * Reading a PATCH request body (RFC 7644 §3.5.2) tolerantly: "Operations" in any case,
 * "op" in any case (Entra sends "Replace"), an empty path treated as no path.
 */
import { badRequest } from '../errors';
import { isPlainObject } from '../schema/normalize';

export type PatchOp = 'add' | 'replace' | 'remove';

export interface PatchOperation {
  op: PatchOp;
  path?: string;
  value?: unknown;
}

export const MAX_PATCH_OPERATIONS = 1000;

export function readPatchRequest(body: unknown): PatchOperation[] {
  if (!isPlainObject(body)) throw badRequest('invalidSyntax', 'A PATCH body must be a JSON object.');
  const key = Object.keys(body).find((k) => k.toLowerCase() === 'operations');
  const operations = key ? body[key] : undefined;
  if (!Array.isArray(operations)) {
    throw badRequest('invalidSyntax', 'A PATCH body needs an "Operations" array.');
  }
  if (operations.length > MAX_PATCH_OPERATIONS) {
    throw badRequest('invalidValue', `At most ${MAX_PATCH_OPERATIONS} operations per PATCH.`);
  }
  return operations.map((raw, index) => readOperation(raw, index));
}

function readOperation(raw: unknown, index: number): PatchOperation {
  if (!isPlainObject(raw)) throw badRequest('invalidSyntax', `Operation ${index + 1} must be an object.`);
  const field = (name: string) => {
    const key = Object.keys(raw).find((k) => k.toLowerCase() === name);
    return key === undefined ? undefined : raw[key];
  };
  const op = field('op');
  const lowered = typeof op === 'string' ? op.trim().toLowerCase() : undefined;
  if (lowered !== 'add' && lowered !== 'replace' && lowered !== 'remove') {
    throw badRequest('invalidSyntax', `Operation ${index + 1} has no valid "op" (add, replace or remove).`);
  }
  const rawPath = field('path');
  if (rawPath !== undefined && rawPath !== null && typeof rawPath !== 'string') {
    throw badRequest('invalidPath', `Operation ${index + 1} has a path that is not a string.`);
  }
  const path = typeof rawPath === 'string' && rawPath.trim() !== '' ? rawPath.trim() : undefined;
  const hasValue = Object.keys(raw).some((k) => k.toLowerCase() === 'value');
  const value = field('value');
  if (lowered === 'remove' && path === undefined) {
    throw badRequest('noTarget', `Operation ${index + 1}: "remove" needs a path.`);
  }
  if (lowered !== 'remove' && !hasValue) {
    throw badRequest('invalidSyntax', `Operation ${index + 1}: "${lowered}" needs a value.`);
  }
  return { op: lowered, ...(path !== undefined ? { path } : {}), ...(hasValue ? { value } : {}) };
}
