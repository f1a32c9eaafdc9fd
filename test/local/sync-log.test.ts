/** `npm run log`: the sync log of a DATA_DIR, read beside a running server. */
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { formatEntry, parseArgs, parseTime, readLog } from '../../src/local/sync-log';
import { createTestRuntime, ROOT, TestRuntime } from '../support/forge-runtime';

let test: TestRuntime;
afterEach(() => test?.close());

async function scim(method: string, userPath: string, body?: unknown) {
  return test.runtime.invokeWebTrigger('scim-endpoint', {
    method,
    userPath,
    headers: { Authorization: ['Bearer t'], 'User-Agent': ['Okta SCIM Client 1.0.0'] },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

describe('npm run log', () => {
  it('reads the entries of a DATA_DIR a runtime is still writing, with filters', async () => {
    test = createTestRuntime();
    const tokens = await test.runtime.loadModule<typeof import('../../src/forge/tokens')>('forge/tokens');
    await tokens.installToken('t');
    const created = await scim('POST', '/Users', { userName: 'ada@example.com' });
    const id = JSON.parse(created.body as string).id as string;
    await scim('GET', '/Users/not-a-user');
    await test.runtime.fireScheduledTrigger('directory-sweep');

    const all = await readLog(test.dataDir, parseArgs([]));
    expect(all.map((e) => e.operation)).toEqual(['connection', 'GET /Users/not-a-user', 'POST /Users']);
    const mine = await readLog(test.dataDir, parseArgs(['--resource', id, '--since', '1h']));
    expect(mine).toHaveLength(1);
    expect(formatEntry(mine[0])).toMatch(
      new RegExp(`ok +scim +ada@example.com ${id}  POST /Users  — 201; okta; \\d+ms$`),
    );
    const failed = await readLog(test.dataDir, parseArgs(['--status', 'failed', '--limit', '1']));
    expect(failed.map((e) => e.httpStatus)).toEqual([404]);
    expect(await readLog(test.dataDir, parseArgs(['--until', '2000-01-01']))).toEqual([]);

    // The script itself, as npm runs it.
    const output = execFileSync(
      path.join(ROOT, 'node_modules/.bin/tsx'),
      ['src/local/sync-log.ts', '--json'],
      {
        cwd: ROOT,
        env: { ...process.env, DATA_DIR: test.dataDir },
        encoding: 'utf8',
      },
    );
    expect(
      output
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).operation),
    ).toHaveLength(3);
  });

  it('finds a resource by userName, e-mail or group name, including entries written before names were logged', async () => {
    test = createTestRuntime();
    const tokens = await test.runtime.loadModule<typeof import('../../src/forge/tokens')>('forge/tokens');
    await tokens.installToken('t');
    const { SyncLog } = await test.runtime.loadModule<typeof import('../../src/sync/log')>('sync/log');
    const { ForgeEntityStore } =
      await test.runtime.loadModule<typeof import('../../src/forge/kvs-store')>('forge/kvs-store');
    const created = await scim('POST', '/Users', {
      userName: 'ada',
      emails: [{ value: 'ada@example.com', primary: true }],
    });
    const ada = JSON.parse(created.body as string).id as string;
    // An entry as the log wrote them before it carried names: only the id.
    await test.runtime.run(() =>
      new SyncLog(new ForgeEntityStore()).write({
        source: 'atlassian',
        operation: 'invite',
        status: 'ok',
        resource: ada,
        resourceType: 'user',
      }),
    );
    const group = await scim('POST', '/Groups', { displayName: 'Engineering' });
    const engineering = JSON.parse(group.body as string).id as string;
    const gone = await scim('POST', '/Users', { userName: 'grace@example.com' });
    const grace = JSON.parse(gone.body as string).id as string;
    await scim('DELETE', `/Users/${grace}`);

    const byEmail = await readLog(test.dataDir, parseArgs(['--resource', 'ADA@example.com']));
    expect(byEmail.map((e) => [e.operation, e.name])).toEqual([
      ['invite', undefined],
      ['POST /Users', 'ada'],
    ]);
    expect((await readLog(test.dataDir, parseArgs(['--resource', 'ada']))).map((e) => e.id)).toEqual(
      byEmail.map((e) => e.id),
    );
    const byGroup = await readLog(test.dataDir, parseArgs(['--resource', 'engineering']));
    expect(byGroup.map((e) => [e.resource, e.operation])).toEqual([[engineering, 'POST /Groups']]);
    // Deleted: the directory no longer knows the name; the log's own names still do.
    const deleted = await readLog(test.dataDir, parseArgs(['--resource', 'grace@example.com']));
    expect(deleted.map((e) => e.operation)).toEqual([`DELETE /Users/${grace}`, 'POST /Users']);
    expect(await readLog(test.dataDir, parseArgs(['--resource', 'nobody@example.com']))).toEqual([]);
  });

  it('stops quietly when the reader closes the pipe (npm run log | head)', async () => {
    test = createTestRuntime();
    const { SyncLog } = await test.runtime.loadModule<typeof import('../../src/sync/log')>('sync/log');
    const { ForgeEntityStore } =
      await test.runtime.loadModule<typeof import('../../src/forge/kvs-store')>('forge/kvs-store');
    // More than a pipe holds (64 KiB), so the script is still writing when head has gone.
    await test.runtime.run(async () => {
      const log = new SyncLog(new ForgeEntityStore());
      for (let i = 0; i < 700; i++)
        await log.write({
          source: 'sync',
          operation: 'connection',
          status: 'ok',
          result: `entry ${i} `.repeat(8),
        });
    });
    const run = spawnSync(
      'bash',
      [
        '-c',
        `"${path.join(ROOT, 'node_modules/.bin/tsx')}" src/local/sync-log.ts --limit 1000 | head -1; exit \${PIPESTATUS[0]}`,
      ],
      { cwd: ROOT, env: { ...process.env, DATA_DIR: test.dataDir }, encoding: 'utf8', timeout: 60_000 },
    );
    expect(run.stderr).not.toMatch(/EPIPE/);
    expect(run.status).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('refuses bad options and a DATA_DIR without a store', async () => {
    expect(() => parseArgs(['--status', 'weird'])).toThrow(/--status is one of/);
    expect(() => parseArgs(['--since'])).toThrow(/needs a value/);
    expect(() => parseArgs(['--bogus'])).toThrow(/Unknown option/);
    expect(parseTime('90s', 100_000)).toBe(10_000);
    expect(parseTime('2026-01-01T00:00:00Z')).toBe(Date.parse('2026-01-01T00:00:00Z'));
    expect(() => parseTime('soon')).toThrow(/Not a time/);
    await expect(readLog('/nonexistent-data-dir', parseArgs([]))).rejects.toThrow(/No local store/);
  });
});
