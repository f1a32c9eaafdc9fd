/**
 * Reading a PATCH request body (RFC 7644 §3.5.2) tolerantly: "Operations" in any case,
 * "op" in any case (Entra sends "Replace"), an empty path treated as no path.
 */
import { badRequest } from '../errors';
import { MAX_PATCH_VALUES, tooLong } from '../limits';
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
  const values = operations.reduce<number>((sum, raw) => sum + countValues(valueOf(raw)), 0);
  if (values > MAX_PATCH_VALUES) {
    throw tooLong(
      'Values in the operations of a PATCH (members, e-mails and any other list, together)',
      values,
      MAX_PATCH_VALUES,
      `Send larger changes, such as a big group's members, in several PATCH requests of at most ${MAX_PATCH_VALUES} values.`,
    );
  }
  return operations.map((raw, index) => readOperation(raw, index));
}

/** An operation's "value" (any case), before the operation itself is checked. */
function valueOf(raw: unknown): unknown {
  if (!isPlainObject(raw)) return undefined;
  const key = Object.keys(raw).find((k) => k.toLowerCase() === 'value');
  return key === undefined ? undefined : raw[key];
}

/**
 * How many values a PATCH value carries: an array its elements, an object the values of its
 * keys (a path-less value, `{"members": [...]}`, one level more for an extension's URN key),
 * anything else one. Elements are not looked into: a complex value's sub-attributes are simple.
 */
function countValues(value: unknown, depth = 0): number {
  if (Array.isArray(value)) return value.length;
  if (isPlainObject(value) && depth < 2)
    return Object.values(value).reduce<number>((sum, inner) => sum + countValues(inner, depth + 1), 0);
  return value === undefined || value === null ? 0 : 1;
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
