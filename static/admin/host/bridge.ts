/**
 * `window.__bridge.callBridge`, as the product's host provides it to a UI Kit page's iframe:
 * @forge/bridge's `invoke` and `getContext` reach the local server (POST /admin/bridge),
 * which runs the manifest's resolver through the offline Forge runtime; `reconcile` hands
 * the tree to the renderer in this window, so function props stay real functions.
 */
import { snapshot, type ForgeDoc } from './forge-doc';

export interface BridgeHandlers {
  render(tree: ForgeDoc): void;
  /** A problem the page should show (a failed command, an error the page reported). */
  report(message: string): void;
  /** `showFlag` of @forge/bridge. */
  flag(flag: { id: string; title: string; description?: string; type?: string }): void;
  closeFlag(id: string): void;
}

/** The commands answered on the server, by the offline runtime (src/local/admin-host). */
const SERVER_COMMANDS = new Set(['invoke', 'getContext']);

export function installBridge(handlers: BridgeHandlers): void {
  const callBridge = async (command: string, data?: unknown): Promise<unknown> => {
    const request = (data ?? {}) as Record<string, unknown>;
    if (SERVER_COMMANDS.has(command)) return callServer(command, request);
    switch (command) {
      case 'reconcile':
        handlers.render(snapshot(request.forgeDoc as ForgeDoc));
        return undefined;
      case 'onError':
        handlers.report(`The page reported an error: ${describe(request.error)}`);
        return undefined;
      case 'showFlag': {
        const id = String(request.id ?? Date.now());
        handlers.flag({
          id,
          title: String(request.title ?? ''),
          ...(request.description ? { description: String(request.description) } : {}),
          ...(request.type ? { type: String(request.type) } : {}),
        });
        return { id };
      }
      case 'closeFlag':
        handlers.closeFlag(String(request.id));
        return undefined;
      case 'open':
      case 'navigate': {
        // router.navigate/open with a URL; a product location (`target`) has no local page.
        const url = typeof request.url === 'string' ? request.url : undefined;
        if (!url) throw new Error('The local admin host opens URLs only, not product locations.');
        if (request.type === 'same-tab') window.location.assign(url);
        else window.open(url, '_blank', 'noopener');
        return undefined;
      }
      default:
        handlers.report(`The local admin host does not emulate the bridge command "${command}".`);
        throw new Error(`The local admin host does not emulate the bridge command "${command}".`);
    }
  };
  (window as unknown as { __bridge: unknown }).__bridge = { callBridge };
}

async function callServer(command: string, data: Record<string, unknown>): Promise<unknown> {
  // The page's own bridge, beside it: /admin/bridge, or /installations/<k>/admin/bridge when
  // `npm start -- --installations N` serves several.
  const page = window.location.pathname.replace(/\/+$/, '');
  const response = await fetch(`${page}/bridge${window.location.search}`, {
    method: 'POST',
    // JSON makes a cross-site form post impossible and a cross-origin fetch need a preflight,
    // which the server never grants.
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ command, data }),
  });
  const answer = (await response.json()) as { result?: unknown; error?: string };
  if (!response.ok || answer.error !== undefined) throw new Error(answer.error ?? `HTTP ${response.status}`);
  return answer.result;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error && typeof error === 'object' && 'message' in error) return String(error.message);
  return String(error);
}
