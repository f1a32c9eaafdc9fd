/**
 * `npm start`: the app on a laptop. SCIM at http://127.0.0.1:$PORT/scim/v2, state in
 * $DATA_DIR (default .data/), the same handler the Forge web trigger runs.
 *
 *   PORT               listen port (default 8787)
 *   SCIM_BEARER_TOKEN  fixed bearer token; otherwise one is generated, stored as a hash, printed
 *   DATA_DIR           where local state lives (default .data/)
 *   --new-token        replace the stored token with a new one
 */
import path from 'node:path';
import { createApp } from '../app';
import { ENTITIES } from '../directory/entities';
import { Logger } from '../scim/resources/common';
import { LocalEntityStore } from './entity-store';
import { createLocalServer, SCIM_BASE_PATH } from './server';
import { localToken } from './tokens';

const port = Number(process.env.PORT ?? 8787);
const dataDir = path.resolve(process.env.DATA_DIR ?? '.data');
const quiet = process.env.SCIM_QUIET === '1';

const logger: Logger = {
  info: (message, fields) => {
    if (quiet) return;
    if (message === 'scim' && fields)
      console.log(`${fields.method} ${fields.path || '/'} ${fields.status} ${fields.ms}ms`);
    else console.log(message, fields ?? '');
  },
  warn: (message, fields) => console.warn(`warning: ${message}`, fields ?? ''),
  error: (message, fields) => console.error(`error: ${message}`, fields ?? ''),
};

const store = new LocalEntityStore(ENTITIES, path.join(dataDir, 'store'));
let jobsRunning: Promise<unknown> | undefined;
const runJobs = () => {
  jobsRunning ??= app.directory.jobs
    .runPending()
    .catch((error: unknown) => logger.error('background job failed', { error: String(error) }))
    .finally(() => (jobsRunning = undefined));
};
const token = localToken(dataDir, process.env.SCIM_BEARER_TOKEN, process.argv.includes('--new-token'));
const app = createApp({ store, tokens: token.source, logger, onJobsPending: () => setImmediate(runJobs) });
const server = createLocalServer(app.handleWebTrigger);

// Jobs left by an earlier run (a group deleted just before a crash) are finished now.
runJobs();
const maintenance = setInterval(() => {
  runJobs();
  store.maintain();
}, 60_000);
maintenance.unref();

server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  console.log(`SCIM base URL: http://127.0.0.1:${actualPort}${SCIM_BASE_PATH}`);
  if (token.token) {
    console.log(`Bearer token:  ${token.token}`);
    if (token.origin === 'generated') console.log('(shown once: only its hash is kept in DATA_DIR)');
  } else {
    console.log('Bearer token:  unchanged (stored only as a hash; `npm start -- --new-token` replaces it)');
  }
  console.log(`Data:          ${dataDir}`);
});

let stopping = false;
function stop(signal: string): void {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping`);
  clearInterval(maintenance);
  server.close(() => {
    void Promise.resolve(jobsRunning).finally(() => {
      store.close();
      process.exit(0);
    });
  });
  server.closeAllConnections();
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
