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
  /** host.js, host.css or app.js (rejected with the build's errors); undefined for any other name. */
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
  // Each bundle builds on its own, so a page that does not compile still gets the host,
  // which shows the page's build error.
  // The contexts are made when the page is first asked for, not at start: an esbuild service
  // and its Atlaskit module graph cost memory a server that only answers SCIM never needs.
  const bundles: {
    names: string[];
    options: esbuild.BuildOptions;
    context?: Promise<esbuild.BuildContext>;
  }[] = [
    {
      names: ['host.js', 'host.css'],
      options: {
        ...common,
        entryPoints: { host: path.join(options.root, 'static/admin/host/main.tsx') },
        tsconfig: path.join(options.root, 'static/admin/tsconfig.json'),
      },
    },
    { names: ['app.js'], options: { ...common, entryPoints: { app: options.appEntry } } },
  ];
  const contextOf = (bundle: (typeof bundles)[number]) => {
    bundle.context ??= esbuild.context(bundle.options);
    // A context that cannot be made is reported by the build that needs it.
    bundle.context.catch(() => undefined);
    return bundle.context;
  };
  let built: Promise<Map<string, Asset | Error>> | undefined;

  const build = async (): Promise<Map<string, Asset | Error>> => {
    const assets = new Map<string, Asset | Error>();
    await Promise.all(
      bundles.map(async (bundle) => {
        try {
          const result = await (await contextOf(bundle)).rebuild();
          for (const file of result.outputFiles ?? []) {
            const name = path.basename(file.path);
            const contentType = CONTENT_TYPES[path.extname(name)] ?? 'application/octet-stream';
            assets.set(name, { contentType, body: file.contents });
          }
        } catch (error) {
          for (const name of bundle.names)
            assets.set(name, error instanceof Error ? error : new Error(String(error)));
        }
      }),
    );
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
      const found = (await built)?.get(name);
      if (found instanceof Error) throw found;
      return found;
    },
    async dispose() {
      await Promise.all(
        bundles.map(async (bundle) => (await bundle.context?.catch(() => undefined))?.dispose()),
      );
    },
  };
}
