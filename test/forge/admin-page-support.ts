/**
 * Drives the admin page (src/frontend) the way an admin does, on the offline Forge runtime:
 * the page is opened through the runtime's UI host, its invoke() calls reach the real admin
 * resolver, and the test reads the UI Kit tree the host received and calls the function props
 * (onClick, onChange) the reconciler left in it.
 *
 * Every wait looks only at trees sent after the action, so a state the page showed before
 * cannot satisfy it.
 */
import type { ForgeDoc, UiHost } from '../../src/local/forge-runtime';
import type * as UiHostModule from '../../src/local/forge-runtime/ui-host';
import type { TestRuntime } from '../support/forge-runtime';

export const ADMIN_MODULE = 'scim-admin-jira';

type Predicate = (tree: ForgeDoc) => boolean;

export interface AdminPage {
  host: UiHost;
  /** The latest tree. */
  tree(): ForgeDoc;
  nodes(tree?: ForgeDoc, type?: string): ForgeDoc[];
  text(tree?: ForgeDoc): string;
  /** Waits for a tree sent from now on (or the latest, if it already matches). */
  waitFor(predicate: Predicate, timeoutMs?: number): Promise<ForgeDoc>;
  waitForText(text: string | RegExp, timeoutMs?: number): Promise<ForgeDoc>;
  /** Waits for a SectionMessage with this title; resolves with the message. */
  waitForMessage(title: string | RegExp, timeoutMs?: number): Promise<ForgeDoc>;
  /** The button whose text matches, in the latest tree (throws when there is none). */
  button(label: string | RegExp, tree?: ForgeDoc): ForgeDoc;
  hasButton(label: string | RegExp, tree?: ForgeDoc): boolean;
  /** Clicks the button once it is enabled (the page disables buttons while it works). */
  click(label: string | RegExp, within?: (tree: ForgeDoc) => ForgeDoc | undefined): Promise<void>;
  /** Selects a tab by its label. */
  openTab(name: string): void;
  /** Types into the Textfield or TextArea with this id (or name). */
  type(id: string, value: string): void;
  /** Picks the option with this value in the Select with this inputId. */
  choose(inputId: string, value: string): void;
  /** Ticks or unticks the Checkbox with this name. */
  tick(name: string, checked: boolean): void;
  /** Picks a radio option in the RadioGroup with this name. */
  pick(name: string, value: string): void;
  /** The SectionMessages of a tree, with their titles. */
  messages(tree?: ForgeDoc): ForgeDoc[];
}

/** @forge/react prefixes ids (`forge-app-xxxxx-<id>`) so they cannot clash in the product. */
const idIs = (value: unknown, id: string) => value === id || String(value).endsWith(`-${id}`);

const matches = (label: string | RegExp, text: string) =>
  typeof label === 'string' ? text.includes(label) : label.test(text);

export async function openAdminPage(test: TestRuntime, accountId: string): Promise<AdminPage> {
  const ui = test.load<typeof UiHostModule>('../../src/local/forge-runtime/ui-host');
  const host = await ui.openPage(test.runtime, { moduleKey: ADMIN_MODULE, accountId });
  const latest = () => {
    const tree = host.tree();
    if (!tree) throw new Error('The page has not rendered yet.');
    return tree;
  };
  const nodes = (tree = latest(), type?: string) =>
    ui.nodes(tree).filter((node) => type === undefined || node.type === type);
  const text = (tree = latest()) => ui.textOf(tree);
  const one = (type: string | string[], accept: (node: ForgeDoc) => boolean, what: string) => {
    const types = Array.isArray(type) ? type : [type];
    const found = nodes(latest()).filter((n) => types.includes(n.type) && accept(n));
    if (found.length === 0) throw new Error(`No ${types.join('/')} ${what} on the page; it shows: ${text()}`);
    return found[0];
  };
  const handler = (node: ForgeDoc, prop: string) => {
    const fn = node.props[prop];
    if (typeof fn !== 'function') throw new Error(`${node.type} has no ${prop} handler`);
    return fn as (...args: unknown[]) => unknown;
  };
  const event = (target: Record<string, unknown>) => ({ target, type: 'change' });

  const page: AdminPage = {
    host,
    tree: latest,
    nodes,
    text,
    waitFor(predicate, timeoutMs = 20_000) {
      const from = host.trees.length;
      const current = host.tree();
      if (current && predicate(current)) return Promise.resolve(current);
      return host
        .waitFor((tree) => host.trees.indexOf(tree) >= from && predicate(tree), timeoutMs)
        .catch(() => {
          // The page's text says more than its JSON.
          const last = host.tree();
          const titles = last ? page.messages(last).map((m) => `[${String(m.props.title)}]`) : [];
          throw new Error(
            `No page matched within ${timeoutMs} ms; it shows: ${titles.join(' ')} ${last ? text(last) : ''}`,
          );
        });
    },
    waitForText(wanted, timeoutMs) {
      return page.waitFor((tree) => matches(wanted, ui.textOf(tree)), timeoutMs);
    },
    async waitForMessage(title, timeoutMs) {
      const find = (tree: ForgeDoc) => page.messages(tree).find((m) => matches(title, String(m.props.title)));
      return find(await page.waitFor((tree) => find(tree) !== undefined, timeoutMs)) as ForgeDoc;
    },
    button(label, tree = latest()) {
      const found = ui.nodes(tree).filter((n) => n.type === 'Button' && matches(label, ui.textOf(n)));
      if (found.length === 0)
        throw new Error(`No button "${String(label)}" on the page; it shows: ${text(tree)}`);
      return found[0];
    },
    hasButton(label, tree = latest()) {
      return ui.nodes(tree).some((n) => n.type === 'Button' && matches(label, ui.textOf(n)));
    },
    async click(label, within = (tree) => tree) {
      const enabled = (tree: ForgeDoc) => {
        const scope = within(tree);
        return (
          scope !== undefined &&
          page.hasButton(label, scope) &&
          page.button(label, scope).props.isDisabled !== true
        );
      };
      const tree = await page.waitFor(enabled);
      void handler(page.button(label, within(tree)), 'onClick')();
    },
    openTab(name) {
      const tabs = one('Tabs', () => true, '');
      const labels = nodes(tabs, 'Tab').map((tab) => ui.textOf(tab));
      const index = labels.indexOf(name);
      if (index < 0) throw new Error(`No tab "${name}"; the tabs are ${labels.join(', ')}`);
      handler(tabs, 'onChange')(index);
    },
    type(id, value) {
      const field = one(
        ['Textfield', 'TextArea'],
        (n) => idIs(n.props.id, id) || n.props.name === id,
        `with id ${id}`,
      );
      handler(field, 'onChange')(event({ value }));
    },
    choose(inputId, value) {
      const select = one('Select', (n) => idIs(n.props.inputId, inputId), `with inputId ${inputId}`);
      const options = select.props.options as { label: string; value: string }[];
      const option = options.find((o) => o.value === value);
      if (!option) throw new Error(`No option ${value} in ${inputId}`);
      handler(select, 'onChange')(option);
    },
    tick(name, checked) {
      const box = one('Checkbox', (n) => n.props.name === name, `named ${name}`);
      handler(box, 'onChange')(event({ checked, name }));
    },
    pick(name, value) {
      const group = one('RadioGroup', (n) => n.props.name === name, `named ${name}`);
      handler(group, 'onChange')(event({ value, name }));
    },
    messages(tree = latest()) {
      return ui.nodes(tree).filter((n) => n.type === 'SectionMessage');
    },
  };
  return page;
}
