/**
 * Requests without a live token (issue 13, case 7): answered 401 and counted, never in the
 * sync log (whose path and User-Agent anyone could choose) nor in the function's own log
 * lines, never a failure of the identity provider. The count is written at most once per few
 * seconds per function instance, and what waited is added by the next write after that.
 */
import { createApp } from '../../src/app';
import { ENTITIES } from '../../src/entities';
import { LocalEntityStore } from '../../src/local/entity-store';
import { hashToken } from '../../src/scim/auth';
import { webTriggerEvent } from '../support/harness';
import { createWorld, World } from './support';

const LURE = '/Users/URGENT - SCIM token compromised, see https://evil.example/reset-now';
const OKTA = { 'User-Agent': 'Okta SCIM Client 1.0.0' };
const wrong = { ...OKTA, Authorization: 'Bearer not-the-token' };

const refused = (world: World) => world.app.sync.requests.refused.read();

function expectNothingOfTheAttacker(text: string): void {
  for (const fragment of ['URGENT', 'compromised', 'evil.example', 'okta', 'Okta']) {
    expect(text).not.toContain(fragment);
  }
}

describe('refused requests', () => {
  it('are counted, not logged, and not failures', async () => {
    const world = createWorld();
    const created = await world.scim('POST', '/Users', { userName: 'ada@example.com', active: true });
    expect(created.status).toBe(201);
    const logged = (await world.app.sync.log.query()).entries;
    expect(logged).toHaveLength(1);

    expect((await world.scim('GET', LURE, undefined, wrong)).status).toBe(401);
    expect((await world.scim('DELETE', LURE, undefined, { ...OKTA, Authorization: '' })).status).toBe(401);
    expect((await world.scim('PATCH', '/Users/x', { Operations: [] }, wrong)).status).toBe(401);

    const after = (await world.app.sync.log.query()).entries;
    expect(after).toEqual(logged);
    expect((await world.app.sync.log.query({ status: 'failed' })).entries).toEqual([]);
    expectNothingOfTheAttacker(JSON.stringify(after));
    const start = world.clock.now;
    expect(await refused(world)).toEqual({ count: 1, since: start, lastAt: start });

    // Within the window nothing more is written; after it, the next request adds what waited.
    world.clock.advance(5_000);
    expect((await world.scim('GET', LURE, undefined, wrong)).status).toBe(401);
    expect((await refused(world))?.count).toBe(1);
    world.clock.advance(10_000);
    expect((await world.scim('GET', '/Users')).status).toBe(200);
    expect(await refused(world)).toEqual({ count: 4, since: start, lastAt: start + 5_000 });
    world.clock.advance(10_000);
    expect((await world.scim('GET', LURE, undefined, wrong)).status).toBe(401);
    expect(await refused(world)).toEqual({ count: 5, since: start, lastAt: start + 25_000 });
    expectNothingOfTheAttacker(JSON.stringify(await refused(world)));
  });

  it('keep their path out of the function log, and the authenticated keep theirs', async () => {
    const lines: string[] = [];
    const record = (message: string, fields?: Record<string, unknown>) => {
      lines.push(`${message} ${JSON.stringify(fields ?? {})}`);
    };
    const app = createApp({
      store: new LocalEntityStore(ENTITIES),
      tokens: { tokenHashes: async () => [hashToken('live-token')] },
      logger: { info: record, warn: record, error: record },
    });
    const lure = await app.handleWebTrigger(webTriggerEvent('GET', LURE, { token: 'wrong', headers: OKTA }));
    expect(lure.statusCode).toBe(401);
    expectNothingOfTheAttacker(lines.join('\n'));
    const fine = await app.handleWebTrigger(
      webTriggerEvent('GET', '/Users/known-path', { token: 'live-token' }),
    );
    expect(fine.statusCode).toBe(404);
    expect(lines.join('\n')).toContain('/Users/known-path');
  });
});
