/** The Forge web trigger event ⇄ SCIM request/response translation. */
import { createApp } from '../../src/app';
import { ENTITIES } from '../../src/entities';
import { LocalEntityStore } from '../../src/local/entity-store';
import { hashToken } from '../../src/scim/auth';
import { toScimRequest, toWebTriggerResponse } from '../../src/webtrigger/event';

describe('toScimRequest', () => {
  it('reads header names in any case and joins repeated values', () => {
    const request = toScimRequest({
      method: 'get',
      headers: { AUTHORIZATION: ['Bearer x'], 'Content-Type': ['application/json'], Accept: ['a', 'b'] },
      path: '/public/abc/Users',
      userPath: '/Users',
    });
    expect(request.method).toBe('GET');
    expect(request.headers.authorization).toBe('Bearer x');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers.accept).toBe('a, b');
  });

  it('joins query values Forge split at commas', () => {
    const request = toScimRequest({
      method: 'GET',
      queryParameters: { attributes: ['userName', 'emails'], filter: ['displayName eq "a', 'b"'] },
      userPath: '/Users',
    });
    expect(request.query).toEqual({ attributes: 'userName,emails', filter: 'displayName eq "a,b"' });
  });

  it('derives the base URL from the host and the path before userPath', () => {
    const request = toScimRequest({
      method: 'GET',
      headers: { host: ['abc.webtrigger.atlassian.app'] },
      path: '/public/7f3/Groups/42',
      userPath: '/Groups/42',
    });
    expect(request.path).toBe('/Groups/42');
    expect(request.baseUrl).toBe('https://abc.webtrigger.atlassian.app/public/7f3');
  });

  it('treats a missing userPath as the base URL itself', () => {
    const request = toScimRequest({ method: 'GET', headers: { Host: ['h'] }, path: '/public/7f3' });
    expect(request.path).toBe('/');
    expect(request.baseUrl).toBe('https://h/public/7f3');
  });
});

describe('toWebTriggerResponse', () => {
  it('answers with array-valued, conventionally spelled headers and a string body', () => {
    const response = toWebTriggerResponse({
      status: 401,
      headers: { 'content-type': 'application/scim+json', etag: 'W/"1"', 'www-authenticate': 'Bearer' },
      body: '{}',
    });
    expect(response).toEqual({
      statusCode: 401,
      headers: {
        'Content-Type': ['application/scim+json'],
        ETag: ['W/"1"'],
        'WWW-Authenticate': ['Bearer'],
      },
      body: '{}',
    });
  });
});

describe('a runtime that knows its own URL', () => {
  it('uses it for Location and meta.location instead of the request headers', async () => {
    const app = createApp({
      store: new LocalEntityStore(ENTITIES),
      tokens: { tokenHashes: async () => [hashToken('t')] },
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      baseUrl: async () => 'https://real.example/public/1/',
    });
    const response = await app.handleWebTrigger({
      method: 'POST',
      headers: { Authorization: ['Bearer t'], Host: ['proxy.internal'] },
      body: JSON.stringify({ userName: 'u' }),
      path: '/Users',
      userPath: '/Users',
    });
    const body = JSON.parse(response.body ?? '{}') as { id: string; meta: { location: string } };
    expect(response.headers.Location).toEqual([`https://real.example/public/1/Users/${body.id}`]);
    expect(body.meta.location).toBe(response.headers.Location[0]);
  });
});
