/**
 * The browser host of the local admin page (/admin): it plays the product's part. It loads
 * the design tokens' theme, installs `window.__bridge`, and draws each tree the page's
 * reconciler sends. The page's own bundle (src/frontend, as the manifest ships it) is the
 * next script: it renders itself once the bridge is in place.
 */
import light from '@atlaskit/tokens/dist/esm/artifacts/themes/atlassian-light';
import shape from '@atlaskit/tokens/dist/esm/artifacts/themes/atlassian-shape';
import spacing from '@atlaskit/tokens/dist/esm/artifacts/themes/atlassian-spacing';
import typography from '@atlaskit/tokens/dist/esm/artifacts/themes/atlassian-typography-adg3';
import { useSyncExternalStore } from 'react';
import { createRoot } from 'react-dom/client';
import { installBridge } from './bridge';
import type { ForgeDoc } from './forge-doc';
import { renderDoc } from './render';

interface Flag {
  id: string;
  title: string;
  description?: string;
  type?: string;
}

interface HostState {
  tree?: ForgeDoc;
  problems: string[];
  flags: Flag[];
}

function loadTheme(): void {
  const html = document.documentElement;
  html.setAttribute('data-color-mode', 'light');
  html.setAttribute('data-theme', 'light:light spacing:spacing typography:typography-adg3 shape:shape');
  const style = document.createElement('style');
  style.dataset.theme = 'atlassian-light';
  style.textContent = [light, spacing, typography, shape].join('\n');
  document.head.appendChild(style);
}

let state: HostState = { problems: [], flags: [] };
const listeners = new Set<() => void>();
function update(change: (current: HostState) => HostState): void {
  state = change(state);
  for (const listener of listeners) listener();
}

const subscribe = (listener: () => void) => {
  listeners.add(listener);
  return () => void listeners.delete(listener);
};

function Page() {
  // The page's first tree may arrive before this renders: read the store, not a copy.
  const current = useSyncExternalStore(subscribe, () => state);
  return (
    <>
      {current.problems.length ? (
        <div className="fh-problems" role="alert">
          {current.problems.map((problem, index) => (
            <p key={index}>{problem}</p>
          ))}
        </div>
      ) : null}
      <main className="fh-page" aria-busy={current.tree ? undefined : true}>
        {current.tree ? renderDoc(current.tree) : <p className="fh-loading">Loading the app…</p>}
      </main>
      <div className="fh-flags">
        {current.flags.map((flag) => (
          <div key={flag.id} className="fh-flag" data-type={flag.type ?? 'info'} role="status">
            <strong>{flag.title}</strong>
            {flag.description ? <p>{flag.description}</p> : null}
            <button
              type="button"
              onClick={() => update((s) => ({ ...s, flags: s.flags.filter((f) => f.id !== flag.id) }))}
            >
              Dismiss
            </button>
          </div>
        ))}
      </div>
    </>
  );
}

loadTheme();
installBridge({
  render: (tree) => update((s) => ({ ...s, tree })),
  report: (problem) => update((s) => ({ ...s, problems: [...s.problems, problem] })),
  flag: (flag) => update((s) => ({ ...s, flags: [...s.flags, flag] })),
  closeFlag: (id) => update((s) => ({ ...s, flags: s.flags.filter((f) => f.id !== id) })),
});
window.addEventListener('error', (event) =>
  update((s) => ({ ...s, problems: [...s.problems, `Script error: ${event.message}`] })),
);
window.addEventListener('unhandledrejection', (event: PromiseRejectionEvent) =>
  update((s) => ({ ...s, problems: [...s.problems, `Unhandled: ${String(event.reason)}`] })),
);
const container = document.getElementById('root');
if (container) createRoot(container).render(<Page />);
