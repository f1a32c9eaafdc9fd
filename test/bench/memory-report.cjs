/* global process */
// Preloaded by test/bench/local-run.ts (NODE_OPTIONS=--require) into each server it starts:
// on SIGUSR2 the server prints its own memory (process.memoryUsage(), bytes) on one line, so
// the bench can report the V8 heap in use after the work for npm start and the peer alike.
// Nothing else changes: no timer, no allocation until asked.
process.on('SIGUSR2', () => {
  process.stderr.write(`memory-report ${JSON.stringify(process.memoryUsage())}\n`);
});
