/**
 * How the worker treats failures it cannot fix by itself: errors other than transient ones
 * are given up after a few attempts (until the resource changes), unexpected errors are
 * logged and retried like the rest, and the HTTP client's egress budget ends the batch.
 */
import { AtlassianError, AtlassianPort } from '../../src/atlassian/port';
import { createUser, createWorld, readOrg } from './support';

/** The port, with `method` replaced by `replacement`. */
function replacing(method: keyof AtlassianPort, replacement: () => Promise<never>) {
  return (port: AtlassianPort): AtlassianPort =>
    new Proxy(port, {
      get: (target, property, receiver) =>
        property === method ? replacement : (Reflect.get(target, property, receiver) as unknown),
    });
}

/**
 * The port without its batched look-ups (as the site-admin mode's): each user's reconcile
 * then makes its own findAccountByEmail, which these tests make fail.
 */
function withoutBatchReads(port: AtlassianPort): AtlassianPort {
  return new Proxy(port, {
    get: (target, property, receiver) =>
      property === 'findAccountsByEmail' || property === 'getAccounts'
        ? undefined
        : (Reflect.get(target, property, receiver) as unknown),
  });
}

describe('failures', () => {
  it('gives up a non-transient failure after 5 attempts, until the resource changes', async () => {
    let calls = 0;
    const world = createWorld({
      wrapPort: replacing('invite', async () => {
        calls++;
        throw new AtlassianError('forbidden', 'The API key may not invite users.', 403, 'ADMIN-403');
      }),
    });
    // Connected before the user exists (the first run's "reconcile all" would re-mark it).
    await world.runOnce();
    const alice = await createUser(world, 'alice@example.com');
    await world.settle();
    expect(calls).toBe(5);
    const failed = await world.app.sync.log.query({ resource: alice, status: 'failed' });
    expect(failed.entries[0]).toMatchObject({
      source: 'sync',
      attempts: 5,
      errorKind: 'forbidden',
      result: expect.stringMatching(/^gave up after 5 attempts/),
    });
    expect(failed.entries.filter((e) => e.operation === 'invite').map((e) => e.attempts)).toEqual([
      5, 4, 3, 2, 1,
    ]);

    world.restart();
    await world.scim('PATCH', `/Users/${alice}`, {
      Operations: [{ op: 'replace', path: 'title', value: 'x' }],
    });
    await world.settle();
    expect((await readOrg(world.org)).users.get('alice@example.com')?.status).toBe('active');
  });

  it('logs an unexpected error and retries it with backoff', async () => {
    let fail = true;
    const world = createWorld();
    world.restart({
      wrapPort: (port) =>
        new Proxy(withoutBatchReads(port), {
          get(target, property, receiver) {
            const value: unknown = Reflect.get(target, property, receiver);
            if (property !== 'findAccountByEmail' || typeof value !== 'function') return value;
            return (...args: unknown[]) => {
              if (fail) {
                fail = false;
                throw new TypeError('Cannot read properties of undefined');
              }
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            };
          },
        }),
    });
    await world.runOnce();
    const alice = await createUser(world, 'alice@example.com');
    const first = await world.runOnce();
    expect(first.nextAt).toBeGreaterThan(world.clock.now);
    const job = await world.app.sync.queue.get('user', alice);
    expect(job?.doc).toMatchObject({ attempts: 1, error: 'Cannot read properties of undefined' });
    const failed = await world.app.sync.log.query({ status: 'failed' });
    expect(failed.entries[0]).toMatchObject({ source: 'sync', operation: 'reconcile user', resource: alice });
    await world.settle();
    expect((await readOrg(world.org)).users.get('alice@example.com')?.status).toBe('active');
  });

  it('ends the batch when the HTTP client’s egress budget is spent, without counting an attempt', async () => {
    let spent = true;
    const world = createWorld({
      wrapPort: (port) =>
        replacing('findAccountByEmail', async () => {
          if (spent) {
            spent = false;
            throw new AtlassianError('transient', 'budget used up', undefined, 'EGRESS_BUDGET');
          }
          return undefined as never;
        })(withoutBatchReads(port)),
    });
    const alice = await createUser(world, 'alice@example.com');
    expect(await world.runOnce()).toMatchObject({ pending: true });
    expect((await world.app.sync.queue.get('user', alice))?.doc.attempts).toBeUndefined();
  });

  it('a batched look-up that finds the egress budget spent leaves each user to look itself up', async () => {
    let spent = true;
    const world = createWorld({
      wrapPort: replacing('findAccountsByEmail', async () => {
        if (spent) {
          spent = false;
          throw new AtlassianError('transient', 'budget used up', undefined, 'EGRESS_BUDGET');
        }
        return [] as never;
      }),
    });
    await world.runOnce();
    const alice = await createUser(world, 'alice@example.com');
    await world.settle();
    expect((await readOrg(world.org)).users.get('alice@example.com')?.status).toBe('active');
    expect(await world.app.sync.queue.get('user', alice)).toBeUndefined();
    expect(await world.app.sync.log.query({ status: 'failed' })).toMatchObject({ entries: [] });
  });
});
