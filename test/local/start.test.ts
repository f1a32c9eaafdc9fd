/**
 * `npm start` as a newcomer meets it: one server per DATA_DIR (a second start says which
 * process holds it; a crashed one does not leave it locked), a start that fails (port taken,
 * invalid policies file, lock held) leaves DATA_DIR exactly as it found it and never uses up
 * a token it did not print, each refusal is one line with its fix, SCIM_BEARER_TOKEN replaces
 * the other tokens and the sync log says so, and the banner says what is in force.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, readLog } from '../../src/local/sync-log';
import { runUntilExit, startLocalServer } from './run-local';

let dir: string;
let dataDir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npm-start-'));
  dataDir = path.join(dir, 'data');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Every file under `root` with a hash of its content: what "left as it found it" compares. */
function contents(root: string): Record<string, string> {
  if (!fs.existsSync(root)) return {};
  const files: Record<string, string> = {};
  for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    files[path.relative(root, file)] = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  }
  return files;
}

const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const tokenOf = (output: string) => /Bearer token: +(scim_\S+)/.exec(output)?.[1];
/** One line, and not Node's stack trace. */
const oneLine = (output: string) => output.trim().split('\n').length === 1 && !/\n\s+at /.test(output);

function holdPort(): Promise<{ port: number; close(): Promise<void> }> {
  const blocker = net.createServer();
  return new Promise((resolve) =>
    blocker.listen(0, '127.0.0.1', () =>
      resolve({
        port: (blocker.address() as net.AddressInfo).port,
        close: () => new Promise((done) => blocker.close(() => done())),
      }),
    ),
  );
}

describe('one server per DATA_DIR', () => {
  it('refuses a second start on the same DATA_DIR, naming the process that holds it', async () => {
    const first = await startLocalServer({ DATA_DIR: dataDir });
    try {
      const lock = JSON.parse(fs.readFileSync(path.join(dataDir, 'server.lock'), 'utf8')) as { pid: number };
      // The first server writes on (its sweep): compare what a second start could have touched.
      const lockBefore = fs.readFileSync(path.join(dataDir, 'server.lock'), 'utf8');
      const namesBefore = Object.keys(contents(dataDir)).sort();
      const second = await runUntilExit({ DATA_DIR: dataDir });
      expect(second.code).toBe(1);
      expect(second.output).toContain(`DATA_DIR ${dataDir} is in use by process ${lock.pid}`);
      expect(second.output).toContain(first.baseUrl.replace('/scim/v2', ''));
      expect(second.output).toMatch(/kill \d+\), or give this one its own \(DATA_DIR=/);
      expect(oneLine(second.output)).toBe(true);
      expect(Object.keys(contents(dataDir)).sort()).toEqual(namesBefore);
      expect(fs.readFileSync(path.join(dataDir, 'server.lock'), 'utf8')).toBe(lockBefore);
      // The first one still serves.
      expect((await fetch(`${first.baseUrl}/Users`, auth(tokenOf(first.output())!))).status).toBe(200);
    } finally {
      await first.stop();
    }
    // Stopped cleanly: the lock is gone.
    expect(fs.existsSync(path.join(dataDir, 'server.lock'))).toBe(false);
  }, 90_000);

  it('takes over the lock a crashed server left behind', async () => {
    const crashed = await startLocalServer({ DATA_DIR: dataDir });
    const token = tokenOf(crashed.output())!;
    const { pid } = JSON.parse(fs.readFileSync(path.join(dataDir, 'server.lock'), 'utf8')) as { pid: number };
    // The process holding the lock dies without cleaning up (the tsx wrapper follows it).
    process.kill(pid, 'SIGKILL');
    await crashed.stop('SIGKILL');
    expect(fs.existsSync(path.join(dataDir, 'server.lock'))).toBe(true);
    const next = await startLocalServer({ DATA_DIR: dataDir });
    try {
      expect(next.output()).toContain('Bearer token:  unchanged');
      expect((await fetch(`${next.baseUrl}/Users`, auth(token))).status).toBe(200);
      const lock = JSON.parse(fs.readFileSync(path.join(dataDir, 'server.lock'), 'utf8')) as { pid: number };
      expect(lock.pid).not.toBe(pid);
    } finally {
      await next.stop();
    }
  }, 90_000);
});

describe('a failed start leaves DATA_DIR as it found it', () => {
  it('with the port taken: one line saying to set PORT, no token used up', async () => {
    const blocker = await holdPort();
    try {
      const fresh = await runUntilExit({ DATA_DIR: dataDir, PORT: String(blocker.port) });
      expect(fresh.code).toBe(1);
      expect(fresh.output).toMatch(new RegExp(`^Port ${blocker.port} is in use by another program`));
      expect(fresh.output).toContain('PORT=');
      expect(fresh.output).not.toContain('EADDRINUSE');
      expect(oneLine(fresh.output)).toBe(true);
      expect(fs.existsSync(dataDir)).toBe(false);

      // A DATA_DIR in use before: not a byte changed.
      const earlier = await startLocalServer({ DATA_DIR: dataDir });
      const token = tokenOf(earlier.output())!;
      await earlier.stop();
      const before = contents(dataDir);
      const again = await runUntilExit({ DATA_DIR: dataDir, PORT: String(blocker.port) });
      expect(again.code).toBe(1);
      expect(contents(dataDir)).toEqual(before);
      const after = await startLocalServer({ DATA_DIR: dataDir });
      try {
        expect(after.output()).toContain('Bearer token:  unchanged');
        expect((await fetch(`${after.baseUrl}/Users`, auth(token))).status).toBe(200);
      } finally {
        await after.stop();
      }
    } finally {
      await blocker.close();
    }
  }, 120_000);

  it('with an invalid policies file: its problems and the fix, nothing written, the next start prints a token', async () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ dryRun: 'yes' }));
    const refused = await runUntilExit({ DATA_DIR: dataDir, POLICIES_FILE: bad });
    expect(refused.code).toBe(2);
    expect(refused.output).toContain(`Policies file ${bad} is not valid; nothing was applied`);
    expect(refused.output).toContain('Fix these and start again (or unset POLICIES_FILE)');
    expect(refused.output).toContain('  dryRun: must be true or false');
    expect(refused.output).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(dataDir)).toBe(false);
    const next = await startLocalServer({ DATA_DIR: dataDir });
    try {
      expect(tokenOf(next.output())).toMatch(/^scim_/);
      expect(next.output()).toContain('(shown once');
    } finally {
      await next.stop();
    }
  }, 90_000);
});

describe('SCIM_BEARER_TOKEN', () => {
  it('becomes the only token: the others are revoked, and the banner and the sync log say so', async () => {
    const first = await startLocalServer({ DATA_DIR: dataDir });
    const generated = tokenOf(first.output())!;
    await first.stop();
    const fixed = 'scim_fixed-token-of-the-admin-0123456789';
    const second = await startLocalServer({ DATA_DIR: dataDir, SCIM_BEARER_TOKEN: fixed });
    try {
      expect(second.output()).toMatch(
        /\(SCIM_BEARER_TOKEN set for npm start: it replaced token \S+, now refused; see npm run log\)/,
      );
      expect((await fetch(`${second.baseUrl}/Users`, auth(fixed))).status).toBe(200);
      expect((await fetch(`${second.baseUrl}/Users`, auth(generated))).status).toBe(401);
    } finally {
      await second.stop();
    }
    const entries = await readLog(dataDir, parseArgs([]));
    const token = entries.filter((entry) => entry.operation === 'token');
    expect(token[0]).toMatchObject({
      why: 'SCIM_BEARER_TOKEN set for npm start',
      result: expect.stringMatching(/is the only one accepted; revoked \S+ \(refused with 401 from now on\)/),
    });
    expect(token[1]).toMatchObject({ why: 'first npm start' });
    // The same token again changes nothing and logs nothing.
    const third = await startLocalServer({ DATA_DIR: dataDir, SCIM_BEARER_TOKEN: fixed });
    expect(third.output()).not.toContain('replaced');
    await third.stop();
    expect((await readLog(dataDir, parseArgs([]))).filter((e) => e.operation === 'token')).toHaveLength(2);
  }, 120_000);
});

describe('the banner says what is in force', () => {
  it('the mode and the organization, and policies from a file that stay after a plain restart', async () => {
    const file = path.join(dir, 'policies.json');
    fs.writeFileSync(file, JSON.stringify({ dryRun: true, deletion: { action: 'none' } }));
    const withFile = await startLocalServer({ DATA_DIR: dataDir, POLICIES_FILE: file });
    const orgId = /Atlassian org: (\S+)/.exec(withFile.output())?.[1];
    try {
      expect(withFile.output()).toContain(
        `Mode:          organization: the Organizations API, org ${orgId} at https://api.atlassian.com/admin (Forge variables ATLASSIAN_ORG_*)`,
      );
      expect(withFile.output()).toContain(
        `Policies:      from ${file}; not the default: deletion {"action":"none"}, dryRun true`,
      );
      expect(withFile.output()).toMatch(/Dry run: +ON: nothing reaches Atlassian/);
    } finally {
      await withFile.stop();
    }
    const plain = await startLocalServer({ DATA_DIR: dataDir });
    try {
      expect(plain.output()).toContain(
        'Policies:      from a policies file applied by an earlier start, still in force (stored in DATA_DIR); not the default: deletion {"action":"none"}, dryRun true',
      );
      expect(plain.output()).toMatch(/Dry run: +ON/);
    } finally {
      await plain.stop();
    }
  }, 90_000);

  it('site-admin mode: the site and the account, not an organization', async () => {
    const server = await startLocalServer({ DATA_DIR: dataDir, ATLASSIAN_MODE: 'site' });
    try {
      expect(server.output()).toContain(
        "Mode:          site admin: Jira's REST API on https://offline.atlassian.net as admin@offline.example (Forge variables ATLASSIAN_SITE_*)",
      );
      expect(server.output()).toContain('Policies:      defaults');
      expect(server.output()).not.toMatch(/Dry run/);
    } finally {
      await server.stop();
    }
  }, 60_000);
});
