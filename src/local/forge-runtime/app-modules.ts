/**
 * How the offline runtime loads the app's code (its handlers, a UI module's resource): with
 * Node's CommonJS `require`, the module format the app compiles to (tsconfig.json `module`),
 * through Node's one module cache, so every installation and every caller shares the loaded
 * modules as one warm Forge process does.
 *
 * Not `import()`: on Node 20 an import() of a TypeScript file needs an ESM loader hook
 * (`node --import tsx`), and Node runs such hooks on a thread of their own, a second V8
 * isolate that cost `npm start` about 20 MB for as long as it ran (README, "What `npm start`
 * costs"). `npm start` registers tsx's CommonJS hook alone (`--require tsx/cjs`), which
 * compiles on the main thread; the tests' ts-jest compiles to the same CommonJS.
 */

/** The module at `file` (absolute, extension optional), loaded once; failures reject. */
export function loadAppModule<T>(file: string): Promise<T> {
  // This module's own `require`, not one made with createRequire: under jest it is jest's,
  // which compiles the module and keeps it in the registry the test's own imports share.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return new Promise((resolve) => resolve(require(file) as T));
}
