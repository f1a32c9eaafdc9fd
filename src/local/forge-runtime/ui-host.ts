/**
 * The host side of a UI Kit page. In a product, the page's code runs in an iframe and talks
 * to the host through `globalThis.__bridge.callBridge(command, data)` (@forge/bridge uses it
 * for `invoke`, @forge/react's reconciler for `reconcile` with the whole UI tree after every
 * commit). This host answers those commands offline: `invoke` reaches the module's resolver
 * through the runtime, `reconcile` keeps each tree so tests can assert what the page shows.
 *
 * Trees are kept as rendered (function props such as onClick stay callable): `ForgeDoc`.
 */
import { loadAppModule } from './app-modules';
import type { ForgeRuntime } from './runtime';

export interface ForgeDoc {
  type: string;
  props: Record<string, unknown>;
  children: ForgeDoc[];
}

export interface UiHost {
  /** Every tree the page sent, oldest first. */
  readonly trees: ForgeDoc[];
  readonly errors: unknown[];
  /** The latest tree. */
  tree(): ForgeDoc | undefined;
  /** Resolves once a tree satisfies `predicate` (checked on every reconcile). */
  waitFor(predicate: (tree: ForgeDoc) => boolean, timeoutMs?: number): Promise<ForgeDoc>;
  /** Installs `globalThis.__bridge` (and `self`, which the reconciler reads) for this page. */
  install(): void;
  /** Puts the previous bridge back; `self` stays (see install). */
  uninstall(): void;
}

type BridgeGlobals = typeof globalThis & {
  __bridge?: { callBridge: (command: string, data?: unknown) => Promise<unknown> };
  self?: unknown;
};

export function createUiHost(runtime: ForgeRuntime, page: { moduleKey: string; accountId: string }): UiHost {
  const trees: ForgeDoc[] = [];
  const errors: unknown[] = [];
  const waiters: { predicate: (tree: ForgeDoc) => boolean; resolve: (tree: ForgeDoc) => void }[] = [];
  let restore: (() => void) | undefined;

  const callBridge = async (command: string, data?: unknown): Promise<unknown> => {
    const request = (data ?? {}) as Record<string, unknown>;
    switch (command) {
      case 'reconcile': {
        const tree = snapshot(request.forgeDoc as ForgeDoc);
        trees.push(tree);
        for (const waiter of [...waiters]) {
          if (waiter.predicate(tree)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(tree);
          }
        }
        return undefined;
      }
      case 'onError':
        errors.push(request.error);
        return undefined;
      default:
        return answerHostCommand(runtime, page, command, request);
    }
  };

  return {
    trees,
    errors,
    tree: () => trees[trees.length - 1],
    waitFor(predicate, timeoutMs = 5000) {
      const found = trees.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(
            new Error(
              `No UI tree matched within ${timeoutMs} ms; the last was ${JSON.stringify(trees.at(-1))}`,
            ),
          );
        }, timeoutMs);
        const waiter = {
          predicate,
          resolve: (tree: ForgeDoc) => {
            clearTimeout(timer);
            resolve(tree);
          },
        };
        waiters.push(waiter);
      });
    },
    install() {
      const g = globalThis as BridgeGlobals;
      const previous = { bridge: g.__bridge };
      g.__bridge = { callBridge };
      // `self` stays after uninstall: a page may still commit then (a resolver answer in
      // flight), and @forge/react, finding `self` but no bridge, drops that tree; without
      // `self` it throws inside React's commit and takes the worker down.
      g.self ??= globalThis;
      restore = () => {
        g.__bridge = previous.bridge;
      };
    },
    uninstall() {
      restore?.();
      restore = undefined;
    },
  };
}

/** The bridge commands a page's host answers from the app's side, in-process or over HTTP. */
export const HOST_COMMANDS = ['invoke', 'getContext'] as const;

/**
 * Answers `invoke` (the module's resolver, run by the runtime as the page's user) and
 * `getContext`; used by this in-process host and by the browser host's server
 * (src/local/admin-host), so both reach the resolver the same way.
 */
export async function answerHostCommand(
  runtime: ForgeRuntime,
  page: { moduleKey: string; accountId: string },
  command: string,
  request: Record<string, unknown>,
): Promise<unknown> {
  switch (command) {
    case 'invoke':
      return runtime.invokeResolver({
        moduleKey: page.moduleKey,
        functionKey: String(request.functionKey),
        payload: request.payload,
        accountId: page.accountId,
      });
    case 'getContext':
      return {
        accountId: page.accountId,
        cloudId: runtime.installation.cloudId,
        siteUrl: runtime.installation.siteUrl,
        moduleKey: page.moduleKey,
        extension: { type: runtime.manifest.uiModules.find((m) => m.key === page.moduleKey)?.type },
      };
    default:
      throw new Error(`The offline UI host does not emulate the bridge command "${command}".`);
  }
}

/**
 * Opens a UI module's page as a product would: the host bridge is installed, then the
 * resource the manifest names (src/frontend/index.tsx) is loaded, which renders itself.
 */
export async function openPage(
  runtime: ForgeRuntime,
  page: { moduleKey: string; accountId: string },
): Promise<UiHost> {
  const host = createUiHost(runtime, page);
  host.install();
  await loadAppModule(runtime.resourceFile(page.moduleKey));
  return host;
}

/** A copy of the tree as it is now (the reconciler keeps mutating its own). */
function snapshot(doc: ForgeDoc): ForgeDoc {
  return {
    type: doc.type,
    props: { ...doc.props },
    children: (doc.children ?? []).map(snapshot),
  };
}

/** Every node of a tree, depth first. */
export function nodes(tree: ForgeDoc): ForgeDoc[] {
  return [tree, ...tree.children.flatMap(nodes)];
}

/** The text a tree shows (String nodes, CodeBlock text, Spinner label), in order. */
export function textOf(tree: ForgeDoc): string {
  return nodes(tree)
    .map((node) => {
      if (node.type === 'String') return String(node.props.text);
      if (node.type === 'CodeBlock') return String(node.props.text);
      return '';
    })
    .filter(Boolean)
    .join(' ');
}
