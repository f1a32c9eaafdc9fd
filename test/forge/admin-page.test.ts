/**
 * The admin page (src/frontend/index.tsx) as a product shows it: @forge/react's reconciler
 * sends the UI Kit tree through @forge/bridge to the host after every commit, and the page's
 * invoke() calls reach the admin resolver of src/forge/index.ts on the offline runtime.
 * Each state of the page is asserted on the tree the host received.
 */
import type * as Tokens from '../../src/forge/tokens';
import type { ForgeDoc, UiHost } from '../../src/local/forge-runtime';
import type * as UiHostModule from '../../src/local/forge-runtime/ui-host';
import { createTestRuntime, TestRuntime } from '../support/forge-runtime';

let test: TestRuntime;
let ui: typeof UiHostModule;
let page: UiHost | undefined;

beforeEach(() => {
  test = createTestRuntime();
  ui = test.load<typeof UiHostModule>('../../src/local/forge-runtime/ui-host');
});
afterEach(async () => {
  page?.uninstall();
  page = undefined;
  await test.close();
});

const open = async () => {
  page = await ui.openPage(test.runtime, { moduleKey: 'scim-admin-jira', accountId: 'admin-1' });
  return page;
};
const find = (tree: ForgeDoc, type: string) => ui.nodes(tree).filter((n) => n.type === type);
const button = (tree: ForgeDoc) => find(tree, 'Button')[0];
const showsText = (text: string) => (tree: ForgeDoc) => ui.textOf(tree).includes(text);

/** The tree without volatile values (function props, prefixed ids), for structural checks. */
function shape(tree: ForgeDoc): unknown {
  const props = Object.fromEntries(
    Object.entries(tree.props).filter(([, value]) => typeof value !== 'function'),
  );
  return {
    type: tree.type,
    ...(Object.keys(props).length ? { props } : {}),
    children: tree.children.map(shape),
  };
}

describe('the admin page', () => {
  it('shows a spinner while loading, then the base URL, no token and the directory counts', async () => {
    const host = await open();
    expect(host.trees[0]).toBeDefined();
    const loading = host.trees[0];
    expect(shape(loading)).toEqual({
      type: 'Root',
      children: [{ type: 'Spinner', props: { label: 'Loading' }, children: [] }],
    });

    const loaded = await host.waitFor(showsText('SCIM base URL'));
    expect(find(loaded, 'CodeBlock').map((n) => n.props.text)).toEqual(['http://127.0.0.1:8787/scim/v2']);
    expect(ui.textOf(loaded)).toContain('No token yet: generate one to start provisioning.');
    expect(ui.textOf(loaded)).toContain('0 users and 0 groups provisioned.');
    expect(find(loaded, 'Heading').map((n) => ui.textOf(n))).toEqual([
      'SCIM provisioning',
      'SCIM base URL',
      'Bearer token',
      'Directory',
    ]);
    expect(button(loaded).props).toMatchObject({ appearance: 'primary', isDisabled: false });
    expect(ui.textOf(button(loaded))).toBe('Generate token');
    expect(host.errors).toEqual([]);
  });

  it('disables the button while generating, then shows the new token once, with a warning', async () => {
    const host = await open();
    const loaded = await host.waitFor(showsText('No token yet'));
    (button(loaded).props.onClick as () => void)();

    const busy = await host.waitFor((tree) => button(tree)?.props.isDisabled === true);
    expect(ui.textOf(busy)).toContain('No token yet');

    const shown = await host.waitFor(
      (tree) => find(tree, 'SectionMessage').length > 0 && button(tree)?.props.isDisabled === false,
    );
    const message = find(shown, 'SectionMessage')[0];
    expect(message.props).toMatchObject({ appearance: 'warning', title: 'Copy this token now' });
    const token = String(find(message, 'CodeBlock')[0].props.text);
    expect(token).toMatch(/^scim_/);
    expect(ui.textOf(button(shown))).toBe('Generate a new token');

    // The token the page showed is the one the SCIM endpoint now accepts.
    const result = await test.runtime.invokeWebTrigger('scim-endpoint', {
      method: 'GET',
      userPath: '/Users',
      headers: { Authorization: [`Bearer ${token}`] },
    });
    expect(result.statusCode).toBe(200);
  });

  it('says a token is configured when one exists, and counts what was provisioned', async () => {
    const tokens = await test.runtime.loadModule<typeof Tokens>('forge/tokens');
    await tokens.installToken('t');
    await test.runtime.invokeWebTrigger('scim-endpoint', {
      method: 'POST',
      userPath: '/Users',
      headers: { Authorization: ['Bearer t'], 'Content-Type': ['application/scim+json'] },
      body: JSON.stringify({ userName: 'ada@example.com' }),
    });
    const host = await open();
    const loaded = await host.waitFor(showsText('A token is configured'));
    expect(ui.textOf(loaded)).toContain('A token is configured. Generating a new one revokes it.');
    expect(ui.textOf(loaded)).toContain('1 users and 0 groups provisioned.');
    expect(find(loaded, 'SectionMessage')).toEqual([]);
    expect(ui.textOf(button(loaded))).toBe('Generate a new token');
  });

  it('shows an error message when the resolver fails', async () => {
    test.runtime.kvs.injectFault(500, 'INTERNAL_SERVER_ERROR', 100);
    const host = await open();
    const failed = await host.waitFor((tree) => find(tree, 'SectionMessage').length > 0);
    expect(find(failed, 'SectionMessage')[0].props).toMatchObject({
      appearance: 'error',
      title: 'Could not load the provisioning settings',
    });
    expect(ui.textOf(failed)).toMatch(/Error/);
  });

  it('answers the bridge commands a page may send, and refuses the others', async () => {
    const host = ui.createUiHost(test.runtime, { moduleKey: 'scim-admin-jira', accountId: 'admin-1' });
    host.install();
    try {
      const bridge = (
        globalThis as unknown as { __bridge: { callBridge: (c: string, d?: unknown) => Promise<unknown> } }
      ).__bridge;
      expect(await bridge.callBridge('getContext')).toMatchObject({
        accountId: 'admin-1',
        moduleKey: 'scim-admin-jira',
        extension: { type: 'jira:adminPage' },
      });
      await bridge.callBridge('onError', { error: 'x' });
      expect(host.errors).toEqual(['x']);
      await expect(bridge.callBridge('navigate')).rejects.toThrow(/does not emulate/);
      await expect(host.waitFor(() => false, 10)).rejects.toThrow(/No UI tree matched/);
    } finally {
      host.uninstall();
    }
  });
});
