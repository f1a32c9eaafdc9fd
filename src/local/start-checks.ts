/**
 * What can refuse `npm start`, checked before anything is written to DATA_DIR, so a start
 * that fails leaves the directory as it found it (no token hash nobody saw, no half-created
 * organization): the lock of DATA_DIR (data-dir-lock.ts) and the listen port. Each refusal is
 * one line that says how to fix it, not a stack trace.
 */
import fs from 'node:fs';
import type http from 'node:http';
import { DataDirLock, DataDirLockedError, lockDataDir } from './data-dir-lock';

/** A start refused for a reason the admin can fix; `main` prints the message alone. */
export class StartRefused extends Error {
  override readonly name = 'StartRefused';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export interface DataDirClaim {
  lock: DataDirLock;
  /** The start failed: releases the lock and removes DATA_DIR again if this start created it. */
  abandon(): void;
}

/** Locks DATA_DIR for this process (StartRefused when another server holds it). */
export function claimDataDir(dataDir: string): DataDirClaim {
  const existed = fs.existsSync(dataDir);
  let lock: DataDirLock;
  try {
    lock = lockDataDir(dataDir);
  } catch (error) {
    if (error instanceof DataDirLockedError) throw new StartRefused(error.message);
    throw error;
  }
  // Whatever way the process ends (a thrown error, process.exit), the lock goes with it; a
  // crash (SIGKILL, power) leaves it behind, and the next start finds its process gone.
  process.once('exit', () => lock.release());
  return {
    lock,
    abandon() {
      lock.release();
      // Only an empty one: this start wrote nothing else, and anything there is not ours.
      if (!existed) {
        try {
          fs.rmdirSync(dataDir);
        } catch {
          // Not empty after all: leave it.
        }
      }
    },
  };
}

/** Listens on 127.0.0.1:`port`; answers the port it got, or refuses in one line. */
export function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(new StartRefused(listenProblem(port, error)));
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

function listenProblem(port: number, error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return `Port ${port} is in use by another program (another npm start?). Stop it, or choose another port: PORT=8788 npm start (PORT=0 picks a free one).`;
    case 'EACCES':
      return `Port ${port} needs privileges this user does not have. Choose a port above 1023: PORT=8787 npm start.`;
    default:
      return `Cannot listen on 127.0.0.1:${port} (${error.code ?? error.message}). Set PORT to another port (PORT=0 picks a free one).`;
  }
}
