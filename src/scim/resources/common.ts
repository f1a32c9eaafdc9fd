/** Request and response plumbing shared by the /Users and /Groups endpoints. */
import { badRequest, preconditionFailed, ScimError } from '../errors';
import { jsonResponse, ScimRequest, ScimResponse } from '../http';
import { ResourceTypeDefinition } from '../schema/definitions';
import { Projection } from '../schema/project';
import { ScimObject } from '../schema/normalize';
import type { ScimStore, StoredResource } from '../store';
import { etag } from './render';
import { param } from './listing';

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface EndpointContext {
  store: ScimStore;
  maxResults: number;
  scanLimit: number;
  logger: Logger;
}

const JSON_MEDIA_TYPE = /^(application\/(scim\+)?json|text\/json|application\/[\w.+-]+\+json)$/i;

/** The JSON body of a request; any JSON media type (and a missing Content-Type) is accepted. */
export function readJson(request: ScimRequest): unknown {
  const contentType = request.headers['content-type'];
  const mediaType = contentType?.split(';')[0].trim();
  if (mediaType && !JSON_MEDIA_TYPE.test(mediaType)) {
    throw new ScimError(415, `Content-Type ${mediaType} is not JSON.`, 'invalidSyntax');
  }
  if (!request.body || request.body.trim() === '') {
    throw badRequest('invalidSyntax', 'The request has no body.');
  }
  try {
    return JSON.parse(request.body) as unknown;
  } catch (error) {
    throw badRequest('invalidSyntax', `The body is not valid JSON: ${(error as Error).message}`);
  }
}

function entityTags(header: string | undefined): string[] {
  return (header ?? '')
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .filter((t) => t !== '');
}

/** RFC 7644 §3.14: a write with If-Match must name the current version. */
export function checkIfMatch(request: ScimRequest, current: StoredResource): void {
  const header = request.headers['if-match'];
  if (header === undefined) return;
  const tags = entityTags(header);
  const currentTag = etag(current.version).replace(/^W\//, '');
  if (!tags.includes('*') && !tags.includes(currentTag)) {
    throw preconditionFailed(`The resource has changed: its version is ${etag(current.version)}.`);
  }
}

export function isNotModified(request: ScimRequest, current: StoredResource): boolean {
  const tags = entityTags(request.headers['if-none-match']);
  return tags.includes('*') || tags.includes(etag(current.version).replace(/^W\//, ''));
}

export function projectionOf(request: ScimRequest, type: ResourceTypeDefinition): Projection {
  return Projection.parse(
    type,
    param(request.query, 'attributes'),
    param(request.query, 'excludedAttributes'),
  );
}

/** Whether the client asked for a representation in the response to a write. */
export function asksForRepresentation(request: ScimRequest): boolean {
  return (
    param(request.query, 'attributes') !== undefined ||
    param(request.query, 'excludedAttributes') !== undefined
  );
}

export function resourceResponse(
  status: number,
  representation: ScimObject,
  stored: StoredResource,
  projection: Projection,
  headers: Record<string, string> = {},
): ScimResponse {
  return jsonResponse(status, projection.apply(representation), { etag: etag(stored.version), ...headers });
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  });
  await Promise.all(workers);
  return results;
}
