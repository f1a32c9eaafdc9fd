/**
 * The admin page (src/frontend) as a product shows it: @forge/react's reconciler sends the UI
 * Kit tree through @forge/bridge to the offline runtime's UI host after every commit, and the
 * page's invoke() calls reach the real admin resolver of src/forge/index.ts, which checks the
 * caller against the embedded organization's Jira site and provisions into it. Each state of
 * the page (first run, token just generated, connected, failing, unlicensed, refused) is
 * asserted on the tree the host received, and driven through the props the tree carries.
 */
import {
  EmbeddedOrganization,
  embeddedOrgBackend,
  embeddedSiteProducts,
  SEED_ACCOUNTS,
} from '../../src/local/embedded-org';
import type { ForgeDoc } from '../../src/local/forge-runtime';
import { offlineLicense } from '../../src/local/forge-runtime/installation';
import type { Policies } from '../../src/policies/policies';
import { client } from '../embedded-org/helpers';
import { createTestRuntime, scimRequest, sweep, TestRuntime } from '../support/forge-runtime';
import { AdminPage, openAdminPage } from './admin-page-support';

// Each test drives a whole admin session (several resolver calls, consumer runs): room for a
// loaded machine, while every wait inside still has its own bound.
jest.setTimeout(60_000);

let test: TestRuntime;
let org: EmbeddedOrganization;
let adminId: string;
let page: AdminPage | undefined;

async function start(options: Parameters<typeof createTestRuntime>[0] = {}) {
  org = new EmbeddedOrganization({ placeBareInvites: true, timeoutHoldMs: 5 });
  test = createTestRuntime({
    external: embeddedOrgBackend(org),
    products: embeddedSiteProducts(org),
    ...options,
  });
  adminId = (await client(org).accountOf(SEED_ACCOUNTS.admin)) as string;
}
afterEach(async () => {
  page?.host.uninstall();
  page = undefined;
  await test.close();
});

const open = async (accountId = adminId) => {
  page = await openAdminPage(test, accountId);
  return page;
};

const scim = (method: string, userPath: string, token: string, body?: unknown) =>
  scimRequest(test, { method, userPath, token, body, headers: { 'User-Agent': ['Okta SCIM Client 1.0.0'] } });

const codeBlocks = (p: AdminPage, tree?: ForgeDoc) =>
  p.nodes(tree, 'CodeBlock').map((n) => String(n.props.text));
const table = (p: AdminPage, caption: string, tree?: ForgeDoc) =>
  p.nodes(tree, 'DynamicTable').find((t) => t.props.caption === caption);
const rowsOf = (p: AdminPage, caption: string, tree?: ForgeDoc) => {
  const found = table(p, caption, tree);
  return found ? p.nodes(found, 'Row') : [];
};
const selectedTab = (p: AdminPage) => p.nodes(undefined, 'Tabs')[0]?.props.selected;

/** Generates a token on the SCIM connection tab and returns what the page showed. */
async function generateToken(p: AdminPage, label: string | RegExp = /token/i): Promise<string> {
  await p.click(label);
  const shown = await p.waitFor((tree) =>
    p.messages(tree).some((m) => m.props.title === 'Copy this token now'),
  );
  const message = p.messages(shown).find((m) => m.props.title === 'Copy this token now') as ForgeDoc;
  return codeBlocks(p, message)[0];
}

describe('the admin page', () => {
  it('first run: opens on the SCIM connection with the base URL, no token and the miniOrange guide', async () => {
    await start();
    const p = await open();
    expect(p.host.trees[0].children.map((n) => n.type)).toEqual(['Spinner']);

    const loaded = await p.waitForText('SCIM base URL');
    expect(selectedTab(p)).toBe(1);
    expect(p.nodes(loaded, 'Tab').map((tab) => p.text(tab))).toEqual([
      'Overview',
      'SCIM connection',
      'Atlassian connection',
      'Policies',
      'Activity',
    ]);
    expect(codeBlocks(p, loaded).slice(0, 3)).toEqual([
      'http://127.0.0.1:8787/scim/v2',
      '127.0.0.1:8787',
      '/scim/v2',
    ]);
    expect(p.text(loaded)).toContain('No token yet: generate one to start provisioning.');
    expect(p.button(/token/i).props).toMatchObject({ appearance: 'primary', isDisabled: false });
    expect(p.text(p.button(/token/i))).toBe('Generate token');
    // The first guide is miniOrange's, with this installation's base URL in its field.
    expect(p.text(loaded)).toContain('Apps and click Add Application');
    const guide = p.nodes(loaded, 'DynamicTable').find((t) => t.props.caption === 'Fields in miniOrange');
    expect(p.text(guide)).toContain('SCIM Base URL http://127.0.0.1:8787/scim/v2');
    expect(p.messages(loaded)).toEqual([]);

    // Another identity provider's guide, with its own field names.
    p.choose('idp-guide', 'oracle');
    const oracle = await p.waitForText('GenericScim - Bearer Token');
    expect(p.text(oracle)).toContain('Host Name 127.0.0.1:8787 Base URI /scim/v2');

    // The overview: nothing yet, and how to start.
    p.openTab('Overview');
    await p.waitForMessage('Get started');
    const overview = p.tree();
    expect(p.nodes(overview, 'Lozenge').map((n) => p.text(n))).toEqual(
      expect.arrayContaining(['Not started', 'No licence needed']),
    );
    expect(p.text(overview)).toContain('Last request from the identity provider: none yet.');
    expect(p.nodes(overview, 'Heading').map((n) => p.text(n))).toEqual(expect.arrayContaining(['0']));
    expect(p.host.errors).toEqual([]);
  });

  it('token just generated: shown once with a warning, then only fingerprints; rotate and revoke', async () => {
    await start();
    const p = await open();
    await p.waitForText('No token yet');
    const first = await generateToken(p, 'Generate token');
    expect(first).toMatch(/^scim_/);
    const shown = p.tree();
    expect(p.messages(shown)[0].props).toMatchObject({ appearance: 'warning', title: 'Copy this token now' });
    expect(p.text(shown)).toContain('It will not be shown again');
    // The token the page showed is the one the SCIM endpoint now accepts.
    expect((await scim('GET', '/Users', first))[0]).toBe(200);

    // The live tokens are listed by fingerprint, never in full.
    const table = await p.waitFor((tree) =>
      p.nodes(tree, 'DynamicTable').some((t) => t.props.caption === 'Live tokens'),
    );
    const live = p.nodes(table, 'DynamicTable').find((t) => t.props.caption === 'Live tokens') as ForgeDoc;
    expect(p.nodes(live, 'Row')).toHaveLength(1);
    expect(p.text(live)).not.toContain(first);
    expect(p.text(live)).toMatch(/not used yet|ago/);

    // Rotate: a second token while the first stays valid; a third is not offered.
    const second = await (async () => {
      await p.click('Generate a second token (rotate)');
      const message = await p.waitFor((tree) => {
        const m = p.messages(tree).find((x) => x.props.title === 'Copy this token now');
        return m !== undefined && codeBlocks(p, m)[0] !== first;
      });
      return codeBlocks(
        p,
        p.messages(message).find((x) => x.props.title === 'Copy this token now'),
      )[0];
    })();
    expect(second).not.toBe(first);
    await p.waitForText('At most 2 tokens are live at once');
    expect(p.button(/token/i).props.isDisabled).toBe(true);
    expect((await scim('GET', '/Users', first))[0]).toBe(200);
    expect((await scim('GET', '/Users', second))[0]).toBe(200);

    // Revoke the old one, confirming in a modal.
    expect(rowsOf(p, 'Live tokens')).toHaveLength(2);
    await p.click('Revoke', (tree) => rowsOf(p, 'Live tokens', tree)[0]);
    const modal = await p.waitFor((tree) => p.nodes(tree, 'Modal').length > 0);
    expect(p.text(p.nodes(modal, 'Modal')[0])).toContain('stops working within 30 seconds');
    await p.click('Revoke token');
    await p.waitFor(
      (tree) => p.nodes(tree, 'Modal').length === 0 && rowsOf(p, 'Live tokens', tree).length === 1,
    );
    expect((await scim('GET', '/Users', first))[0]).toBe(401);
    expect((await scim('GET', '/Users', second))[0]).toBe(200);
    expect(p.button(/token/i).props.isDisabled).toBe(false);

    // Shown once: back on the tab later, only fingerprints remain.
    p.openTab('Overview');
    await p.waitForText('Last request from the identity provider');
    p.openTab('SCIM connection');
    const again = await p.waitFor((tree) => rowsOf(p, 'Live tokens', tree).length === 1);
    expect(p.messages(again).map((m) => m.props.title)).not.toContain('Copy this token now');
    expect(JSON.stringify(again)).not.toContain(second);
    expect(p.host.errors).toEqual([]);
  });

  it('connected: saves the organization key through the page, tests it, and shows the changes under Activity', async () => {
    await start();
    const p = await open();
    await p.waitForText('No token yet');
    const token = await generateToken(p);

    p.openTab('Atlassian connection');
    await p.waitForText('Organization ID');
    expect(p.nodes(p.tree(), 'Lozenge').map((n) => p.text(n))).toContain('Not connected');
    p.type('atlassian-org-id', org.orgId);
    p.type('atlassian-api-key', org.apiKey);
    p.type('atlassian-directory-id', org.directoryId);
    await p.waitFor((tree) => p.nodes(tree, 'Textfield').some((n) => n.props.value === org.apiKey));
    await p.click('Save');
    await p.waitForMessage('Saved');
    const saved = p.tree();
    expect(p.nodes(saved, 'Lozenge').map((n) => p.text(n))).toContain('Connected');
    // The key is never sent back: the field is empty again and says one is set.
    expect(JSON.stringify(saved)).not.toContain(org.apiKey);
    expect(p.text(saved)).toContain('One is set');

    await p.click('Test connection');
    const works = await p.waitForMessage('The connection works');
    expect(p.text(works)).toContain(`Organization`);
    expect(p.text(works)).toMatch(/Products: .*jira/);

    // The identity provider creates a user; the consumer provisions it.
    const [status, user] = await scim('POST', '/Users', token, {
      userName: 'ada.new@example.com',
      emails: [{ value: 'ada.new@example.com' }],
    });
    expect(status).toBe(201);
    // The hourly sweep runs whatever the consumer has not run yet.
    await sweep(test);

    p.openTab('Activity');
    const activity = await p.waitForText('atlassian: invite');
    const log = table(p, 'Sync log', activity) as ForgeDoc;
    expect(p.text(log)).toContain('scim: POST /Users');
    // Rows name the user as the identity provider does; the SCIM id is in the details.
    expect(p.text(log)).toContain('ada.new@example.com');

    // An entry opens to what it recorded.
    await p.click('Details', (tree) =>
      rowsOf(p, 'Sync log', tree).find((row) => p.text(row).includes('atlassian: invite')),
    );
    const details = await p.waitFor((tree) => p.nodes(tree, 'Modal').length > 0);
    const modal = p.nodes(details, 'Modal')[0];
    expect(p.text(modal)).toContain('Operation: invite');
    expect(p.text(modal)).toContain(`Resource: user ${user.id}`);
    expect(p.text(modal)).toContain('Name: ada.new@example.com');
    expect(p.text(modal)).toContain('Status: ok');
    expect(p.hasButton('Retry', modal)).toBe(false);
    await p.click('Close');
    await p.waitFor((tree) => p.nodes(tree, 'Modal').length === 0);

    // Filtering by status narrows the table to failures: there are none.
    p.choose('log-status', 'failed');
    await p.click('Apply filters');
    await p.waitForText('Nothing logged for these filters.');

    // The overview counts what was provisioned and when the identity provider last called.
    p.openTab('Overview');
    const overview = await p.waitForText(
      /1 users? .*Last request from the identity provider: in the last 5 minutes/,
    );
    expect(p.text(overview)).toContain('0 failed in the last 24 hours');
    expect(p.host.errors).toEqual([]);
  });

  it('unlicensed: warns above every tab that provisioning is paused, and says why', async () => {
    await start({ installation: { license: offlineLicense('inactive') } });
    const p = await open();
    const warning = await p.waitForMessage('Licence not active: provisioning is paused');
    expect(warning.props.appearance).toBe('warning');
    expect(p.text(warning)).toMatch(/not active \(expired on 2026-11-30\)/);
    expect(p.text(warning)).toContain('can still read what is provisioned');
    p.openTab('Policies');
    await p.waitForText('When the identity provider deactivates a user');
    expect(p.messages().map((m) => m.props.title)).toContain('Licence not active: provisioning is paused');
    p.openTab('Overview');
    const overview = await p.waitForText('Licence inactive');
    expect(p.nodes(overview, 'Lozenge').find((n) => p.text(n) === 'Licence inactive')?.props.appearance).toBe(
      'removed',
    );
  });

  it('refused: a caller who is not an admin gets the reason, not a crash', async () => {
    await start();
    const userId = (await client(org).accountOf(SEED_ACCOUNTS.existing)) as string;
    const p = await open(userId);
    const refusal = await p.waitForMessage('Could not load the provisioning settings');
    expect(refusal.props.appearance).toBe('error');
    expect(p.text(refusal)).toMatch(/Only site and product admins/);
    expect(p.nodes(p.tree(), 'Tabs')).toEqual([]);
    expect(p.host.errors).toEqual([]);
  });

  /** Connects Atlassian with the organization key, as an admin would on the page. */
  async function connect(p: AdminPage, apiKey = org.apiKey) {
    p.openTab('Atlassian connection');
    await p.waitForText('Organization ID');
    p.type('atlassian-org-id', org.orgId);
    p.type('atlassian-api-key', apiKey);
    p.type('atlassian-directory-id', org.directoryId);
    await p.waitFor((tree) => p.nodes(tree, 'Textfield').some((n) => n.props.value === apiKey));
    await p.click('Save');
    await p.waitForMessage('Saved');
  }

  it('failing: a wrong key fails the connection test with what is missing', async () => {
    await start();
    const p = await open();
    await p.waitForText('No token yet');
    await connect(p, 'not-the-key');
    await p.click('Test connection');
    const failed = await p.waitForMessage('The connection does not work');
    expect(failed.props.appearance).toBe('error');
    expect(p.text(failed)).toMatch(/wrong, revoked or expired/);
    expect(p.text(failed)).toContain('Missing: a valid organization API key.');
    expect(p.text(failed)).toMatch(/admin\.atlassian\.com/);
  });

  it('failing: failures in the log turn the health red, open to the likely fix, and can be retried', async () => {
    await start();
    const p = await open();
    await p.waitForText('No token yet');
    const token = await generateToken(p);
    await connect(p);
    // Atlassian rate-limits every call for two minutes: each invite fails and waits.
    org.faults.configure({ rate: 1, kinds: ['429'], retryAfterSeconds: 120 });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const [status, user] = await scim('POST', '/Users', token, { userName: `user${i}@example.com` });
      expect(status).toBe(201);
      ids.push(user.id);
    }
    await sweep(test);

    p.openTab('Overview');
    const red = await p.waitForText(/Needs attention/);
    const health = p.nodes(red, 'Lozenge')[0];
    expect(health.props.appearance).toBe('removed');
    expect(p.text(red)).toMatch(/failures in the sync log/);
    const failedCount = Number(/(\d+) failed in the last 24 hours/.exec(p.text(red))?.[1]);
    expect(failedCount).toBeGreaterThanOrEqual(10);

    p.openTab('Activity');
    p.choose('log-status', 'failed');
    await p.click('Apply filters');
    const failures = await p.waitFor((tree) => rowsOf(p, 'Sync log', tree).length >= 5);
    expect(rowsOf(p, 'Sync log', failures).every((row) => p.text(row).includes('failed'))).toBe(true);

    const first = (tree: ForgeDoc) =>
      rowsOf(p, 'Sync log', tree).find((row) => p.text(row).includes('atlassian:'));
    const index = ids.findIndex((_, i) =>
      p.text(first(p.tree()) as ForgeDoc).includes(`user${i}@example.com`),
    );
    const name = `user${index}@example.com`;
    await p.click('Details', first);
    const modal = p.nodes(await p.waitFor((tree) => p.nodes(tree, 'Modal').length > 0), 'Modal')[0];
    expect(p.text(modal)).toContain('Error kind: transient');
    const hint = p.messages(modal)[0];
    expect(hint.props.title).toBe('Atlassian was busy or did not answer in time');

    // Atlassian recovers; the admin retries that user at once.
    org.faults.configure({ rate: 0 });
    await p.click('Retry', (tree) => p.nodes(tree, 'Modal')[0]);
    await p.waitForMessage('Queued');
    await test.runtime.events.drain();
    const invited = await client(org).accountOf(name);
    expect(invited).toBeDefined();
    await p.click('Close');

    // One user's entries only, found by its name: its SCIM request, its failures, and the
    // retry that worked.
    p.choose('log-status', '');
    p.type('log-resource', name);
    await p.click('Apply filters');
    const own = await p.waitFor((tree) => {
      const rows = rowsOf(p, 'Sync log', tree);
      return (
        rows.length > 0 && rows.every((row) => p.text(row).includes(name)) && p.text(tree).includes(' ok ')
      );
    });
    expect(p.text(table(p, 'Sync log', own))).toContain('scim: POST /Users');

    // Every entry, a page at a time: Older continues after the last row, Newer comes back.
    p.type('log-resource', '');
    await p.click('Apply filters');
    const firstPage = await p.waitFor((tree) => rowsOf(p, 'Sync log', tree).length === 20);
    const firstKeys = rowsOf(p, 'Sync log', firstPage).map((row) => row.props.rowKey);
    await p.click('Older');
    const secondPage = await p.waitFor((tree) => {
      const rows = rowsOf(p, 'Sync log', tree);
      return rows.length > 0 && !firstKeys.includes(rows[0].props.rowKey);
    });
    expect(rowsOf(p, 'Sync log', secondPage).every((row) => !firstKeys.includes(row.props.rowKey))).toBe(
      true,
    );
    await p.click('Newer');
    await p.waitFor((tree) => rowsOf(p, 'Sync log', tree)[0]?.props.rowKey === firstKeys[0]);
    expect(p.button('Newer').props.isDisabled).toBe(true);
    expect(p.host.errors).toEqual([]);
  });

  it('policies: every field is shown, a regex that does not compile is refused with the reason, and a save sticks', async () => {
    await start();
    const p = await open();
    await p.waitForText('No token yet');
    p.openTab('Policies');
    const form = await p.waitForText('These are the defaults');
    expect(p.nodes(form, 'RadioGroup').map((n) => n.props.name)).toEqual([
      'deactivation',
      'deletion',
      'onExistingName',
      'drift',
    ]);
    expect(p.nodes(form, 'Checkbox').map((n) => n.props.name)).toEqual([
      'linkExistingByEmail',
      'restoreMemberships',
      'createUnknown',
      'dryRun',
    ]);

    // A regex that does not compile is refused in the page, with the engine's reason, at its field.
    p.type('rewrite-pattern', '^sg-(.*');
    p.type('rewrite-replacement', '$1');
    await p.waitFor((tree) => p.nodes(tree, 'Textfield').some((n) => n.props.value === '$1'));
    await p.click('Save policies');
    const refused = await p.waitForMessage('Some values need fixing');
    expect(p.text(refused)).toContain('1 problem');
    const errors = p.nodes(p.tree(), 'ErrorMessage').map((n) => p.text(n));
    expect(errors).toEqual([
      expect.stringMatching(/^The regular expression does not compile: .*Unterminated group/),
    ]);

    // Fixed, with other choices: saved, and read back on the next visit.
    p.type('rewrite-pattern', '^sg-(.*)$');
    p.pick('deactivation', 'remove-product-access');
    p.tick('dryRun', true);
    p.type('seat-cap', '25');
    p.type('name-map', 'Engineering => jira-engineering');
    await p.waitFor((tree) => p.nodes(tree, 'Textfield').some((n) => n.props.value === '25'));
    await p.click('Save policies');
    await p.waitForMessage('Policies saved');
    const stored = (await test.runtime.invokeResolver({
      moduleKey: 'scim-admin-jira',
      functionKey: 'getPolicies',
      accountId: adminId,
    })) as { policies: Policies; source: string };
    expect(stored.source).toBe('admin');
    expect(stored.policies).toMatchObject({
      deactivation: { action: 'remove-product-access' },
      dryRun: true,
      seatCap: { limit: 25 },
      groups: {
        nameMap: { Engineering: 'jira-engineering' },
        rewrite: { pattern: '^sg-(.*)$', replacement: '$1' },
      },
    });

    // With the dry run on, the Activity tab says why nothing reaches Atlassian.
    p.openTab('Activity');
    expect((await p.waitForMessage('Dry run is on')).props.appearance).toBe('information');
    p.openTab('Policies');
    await p.waitForText('What the app does in Atlassian');

    // The server's own problems are shown by field too.
    p.type('default-groups', 'x'.repeat(300));
    await p.click('Save policies');
    await p.waitForMessage('Some values need fixing');
    expect(p.nodes(p.tree(), 'ErrorMessage').map((n) => p.text(n))).toEqual([expect.stringMatching(/255/)]);
  });

  it('reconcile now: shows progress until done, and a dry run previews the planned changes', async () => {
    // React's warnings go to console.error: a finished run must not update the page while a
    // section renders ("Cannot update a component while rendering a different component").
    const consoleErrors = jest.spyOn(console, 'error');
    await start();
    const p = await open();
    await p.waitForText('No token yet');
    const token = await generateToken(p);
    await connect(p);
    await scim('POST', '/Groups', token, { displayName: 'Designers' });
    await sweep(test);
    // Someone deletes the group by hand in Atlassian: the full reconcile finds it.
    const api = client(org);
    const groupId = (await api.groupOf('Designers')) as string;
    expect((await api.call('DELETE', `${api.d}/groups/${groupId}`)).status).toBe(204);

    p.openTab('Activity');
    await p.click('Preview (dry run)');
    const running = await p.waitFor((tree) => p.nodes(tree, 'ProgressBar').length > 0);
    expect(p.text(running)).toMatch(/Dry run running|Last dry run/);
    await test.runtime.events.drain();
    const planned = await p.waitFor((tree) => table(p, 'Planned changes', tree) !== undefined, 20_000);
    expect(p.nodes(planned, 'ProgressBar')[0].props.value).toBe(1);
    expect(p.text(table(p, 'Planned changes', planned))).toMatch(/planned/);
    expect(await client(org).groupOf('Designers')).toBeUndefined();

    await p.click('Reconcile now');
    // Started (and its consumer run queued) once the page shows it running.
    await p.waitForText(/Reconcile running since/);
    await test.runtime.events.drain();
    await p.waitForText(/Last reconcile \(started by an admin\) finished/, 20_000);
    expect(await client(org).groupOf('Designers')).toBeDefined();
    const warnings = consoleErrors.mock.calls.map((args) => args.map(String).join(' '));
    consoleErrors.mockRestore();
    expect(warnings.filter((w) => /while rendering a different component/.test(w))).toEqual([]);
  });

  it('connected in site-admin mode: e-mail and API token, with a warning before the token expires', async () => {
    await start();
    const p = await open();
    await p.waitForText('No token yet');
    p.openTab('Atlassian connection');
    await p.waitForText('Organization ID');
    p.pick('mode', 'site');
    await p.waitForText('Site URL');
    // Org-mode fields give way to the site's.
    expect(p.nodes(p.tree(), 'Textfield').map((n) => n.props.name)).toEqual([
      'siteUrl',
      'email',
      'apiToken',
      'expiresOn',
    ]);
    const soon = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
    p.type('atlassian-site-url', 'https://offline.atlassian.net');
    p.type('atlassian-email', SEED_ACCOUNTS.admin);
    p.type('atlassian-api-token', org.siteApiToken);
    p.type('atlassian-expires-on', soon);
    await p.waitFor((tree) => p.nodes(tree, 'Textfield').some((n) => n.props.value === soon));
    await p.click('Save');
    await p.waitForMessage('Saved');
    const saved = p.tree();
    expect(JSON.stringify(saved)).not.toContain(org.siteApiToken);
    expect(p.text(saved)).toContain(`Site https://offline.atlassian.net as ${SEED_ACCOUNTS.admin}.`);
    const expiring = p
      .messages(saved)
      .find((m) => m.props.title === 'The credential expires soon') as ForgeDoc;
    expect(expiring.props.appearance).toBe('warning');
    expect(p.text(expiring)).toContain(`expires on ${soon} (in 5 days)`);

    await p.click('Test connection');
    const works = await p.waitForMessage('The connection works');
    expect(p.text(works)).toMatch(/^Site https:\/\/offline\.atlassian\.net, as /);
    expect(p.text(works)).toMatch(/Products: .*jira-software/);
    // The seed admin is an organization admin too: nothing to warn about.
    expect(works.props.appearance).toBe('success');

    // Disconnect, confirmed in a modal: nothing is set any more.
    await p.click('Disconnect');
    await p.waitFor((tree) => p.nodes(tree, 'Modal').length > 0);
    await p.click('Disconnect', (tree) => p.nodes(tree, 'Modal')[0]);
    await p.waitFor((tree) => p.nodes(tree, 'Modal').length === 0 && p.text(tree).includes('Not connected'));
  });

  it('site-admin mode: Test connection warns when the token cannot invite new users (no organization admin)', async () => {
    await start();
    // Ada: a site admin (atlassian/site-admin) who is no organization admin.
    const api = client(org);
    const ada = (await api.accountOf(SEED_ACCOUNTS.existing)) as string;
    expect(
      (
        await api.call('POST', `/v1/orgs/${org.orgId}/users/${ada}/roles/assign`, {
          role: 'atlassian/site-admin',
        })
      ).status,
    ).toBe(204);
    const token = org.createSiteApiToken(SEED_ACCOUNTS.existing);
    const p = await open();
    await p.waitForText('No token yet');
    p.openTab('Atlassian connection');
    await p.waitForText('Organization ID');
    p.pick('mode', 'site');
    await p.waitForText('Site URL');
    p.type('atlassian-site-url', 'https://offline.atlassian.net');
    p.type('atlassian-email', SEED_ACCOUNTS.existing);
    p.type('atlassian-api-token', token);
    await p.click('Save');
    await p.waitForMessage('Saved');
    await p.click('Test connection');
    const works = await p.waitForMessage('The connection works, with a warning');
    expect(works.props.appearance).toBe('warning');
    expect(p.text(works)).toMatch(/organization admin/i);
  });

  it('a section that fails to render shows why in its tab, and the page stays', async () => {
    await start();
    const ui = test.load<typeof import('../../src/local/forge-runtime/ui-host')>(
      '../../src/local/forge-runtime/ui-host',
    );
    const host = ui.createUiHost(test.runtime, { moduleKey: 'scim-admin-jira', accountId: adminId });
    host.install();
    try {
      const React = test.load<typeof import('react')>('react');
      const forge = test.load<typeof import('@forge/react')>('@forge/react');
      const { SectionBoundary } = test.load<typeof import('../../src/frontend/sections/boundary')>(
        '../../src/frontend/sections/boundary',
      );
      const Broken = (): React.ReactElement => {
        throw new Error('entries is not iterable');
      };
      const page = React.createElement(forge.Stack, {
        children: [
          React.createElement(forge.Text, { key: 'title', children: 'Before' }),
          React.createElement(SectionBoundary, {
            key: 'tab',
            section: 'Activity',
            children: React.createElement(Broken),
          }),
        ],
      });
      forge.default.render(page);
      const shown = await host.waitFor((tree) => ui.nodes(tree).some((n) => n.type === 'SectionMessage'));
      const message = ui.nodes(shown).find((n) => n.type === 'SectionMessage') as ForgeDoc;
      expect(message.props).toMatchObject({ appearance: 'error', title: 'The Activity tab failed' });
      expect(ui.textOf(message)).toContain('entries is not iterable');
      expect(ui.textOf(shown)).toContain('Before');
    } finally {
      host.uninstall();
    }
  });
});
