/**
 * The two scripts of the local admin page, bundled for the browser by esbuild (in memory):
 * - host.js (+ host.css): static/admin/host, the product's part (bridge and renderer);
 * - app.js: the UI module's resource exactly as manifest.yml names it (src/frontend), as
 *   `forge deploy` would bundle it.
 * Each is rebuilt incrementally when the page is opened again, so an edit to src/frontend
 * shows on reload.
 */
import path from 'node:path';
import * as esbuild from 'esbuild';

export interface Asset {
  contentType: string;
  body: Uint8Array;
}

export interface AdminBundles {
  /** Starts a rebuild of both (cheap when nothing changed); the assets wait for it. */
  rebuild(): void;
  /** host.js, host.css or app.js; undefined for any other name. */
  asset(name: string): Promise<Asset | undefined>;
  dispose(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

export function createAdminBundles(options: { root: string; appEntry: string }): AdminBundles {
  const common: esbuild.BuildOptions = {
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'iife',
    target: ['chrome110', 'firefox110', 'safari16'],
    jsx: 'automatic',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
    absWorkingDir: options.root,
    outdir: path.join(options.root, '.admin-bundle'),
    define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
  };
  const contexts = Promise.all([
    esbuild.context({
      ...common,
      entryPoints: { host: path.join(options.root, 'static/admin/host/main.tsx') },
      tsconfig: path.join(options.root, 'static/admin/tsconfig.json'),
    }),
    esbuild.context({ ...common, entryPoints: { app: options.appEntry } }),
  ]);
  let built: Promise<Map<string, Asset>> | undefined;

  const build = async (): Promise<Map<string, Asset>> => {
    const results = await Promise.all((await contexts).map((context) => context.rebuild()));
    const assets = new Map<string, Asset>();
    for (const file of results.flatMap((result) => result.outputFiles ?? [])) {
      const name = path.basename(file.path);
      assets.set(name, {
        contentType: CONTENT_TYPES[path.extname(name)] ?? 'application/octet-stream',
        body: file.contents,
      });
    }
    return assets;
  };

  return {
    rebuild() {
      const previous = built;
      // One build at a time: esbuild refuses a rebuild while one runs.
      built = (previous ?? Promise.resolve()).catch(() => undefined).then(build);
    },
    async asset(name) {
      if (!built) this.rebuild();
      return (await built)?.get(name);
    },
    async dispose() {
      await Promise.all((await contexts).map((context) => context.dispose()));
    },
  };
}
