/** Starts `npm start`'s entry point as a child process and waits until it serves. */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

export interface LocalServer {
  process: ChildProcess;
  baseUrl: string;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startLocalServer(
  env: Record<string, string>,
  args: string[] = [],
): Promise<LocalServer> {
  const { child, output: printed } = spawnMain(env, args);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`local server did not start:\n${printed()}`)), 20_000);
    const poll = setInterval(() => {
      const match = /SCIM base URL: (\S+)/.exec(printed());
      if (match && bannerComplete(printed())) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(match[1]);
      }
    }, 50);
    child.on('exit', () => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`local server exited early:\n${printed()}`));
    });
  });
  return {
    process: child,
    baseUrl,
    output: printed,
    stop: (signal = 'SIGTERM') => {
      child.kill(signal);
      return exited;
    },
  };
}

/**
 * The whole banner has arrived: a pipe may deliver it in several chunks, so waiting for one
 * line (the token) let a test read the banner before its later lines (policies) were there.
 * One installation's banner ends with its `Data:` line; several end with `Serving N`.
 */
function bannerComplete(output: string): boolean {
  if (/^Installation \d/m.test(output)) return /^Serving \d+ installations/m.test(output);
  return /^Data: {10}.*\n/m.test(output);
}

/** Runs `npm start`'s entry point expecting it to refuse: its exit code and everything it printed. */
export function runUntilExit(
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ code: number | null; output: string }> {
  const { child, output: printed } = spawnMain(env, args);
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output: printed() });
    }),
  );
}

/**
 * `npm start`'s own command (package.json `scripts.start`, `node <flags> <entry>`) as a child
 * process, and everything it has printed so far: the tests start what an admin starts, with
 * the same loader.
 */
function spawnMain(env: Record<string, string>, args: string[]) {
  const [node, ...nodeArgs] = npmStartCommand();
  if (node !== 'node') throw new Error(`npm start no longer runs node: ${node}`);
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', SCIM_QUIET: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

/** package.json's `start` script, split into words (it has no quoting). */
function npmStartCommand(): string[] {
  const { scripts } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  return String(scripts.start).split(/\s+/).filter(Boolean);
}
