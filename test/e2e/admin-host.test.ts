/**
 * The local admin host (src/local/admin-host): who it answers, and how it draws a UI Kit
 * page in a browser. The access rules are checked over HTTP; the drawing in headless
 * Chromium with a page that uses every component the admin page may use
 * (fixtures/gallery.tsx), working each control and checking what the page received.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type * as AdminHost from '../../src/local/admin-host';
import type * as Access from '../../src/local/admin-host/access';
import type * as Server from '../../src/local/server';
import { createTestRuntime, type TestRuntime } from '../support/forge-runtime';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const WAIT_MS = 45_000;

let test: TestRuntime;
let server: http.Server;
let mount: ReturnType<typeof AdminHost.adminPageMount>;
let base: string;

beforeAll(async () => {
  test = createTestRuntime();
  const host = test.load<typeof AdminHost>('../../src/local/admin-host');
  const { createLocalServer } = test.load<typeof Server>('../../src/local/server');
  mount = host.adminPageMount(test.runtime, {
    root: path.resolve(__dirname, '../..'),
    accountId: 'admin-1',
    appEntry: path.join(__dirname, 'fixtures/gallery.tsx'),
  });
  server = createLocalServer(() => Promise.reject(new Error('no SCIM here')), [mount]);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await mount?.close();
  await test?.close();
});

/** A raw request, so the Host and Origin headers are exactly as given. */
function request(
  pathname: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(pathname, base),
      { method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const bridge = (body: unknown, headers: Record<string, string> = {}) =>
  request('/admin/bridge', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('who the local admin page answers', () => {
  it("is named at the server's root and in its 404s", async () => {
    const home = await request('/');
    expect(home.status).toBe(200);
    expect(home.body).toContain('The SCIM base URL is /scim/v2.');
    expect(home.body).toContain('Admin page: /admin');
    const lost = await request('/nowhere');
    expect(lost.status).toBe(404);
    expect(lost.body).toContain('Admin page: /admin');
  });

  it('serves the page to this machine, not cached, not framed', async () => {
    const page = await request('/admin');
    expect(page.status).toBe(200);
    expect(page.body).toContain('/admin/assets/host.js');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['x-frame-options']).toBe('DENY');
  });

  it('refuses a request addressed to another host name (DNS rebinding)', async () => {
    const page = await request('/admin', { headers: { host: `attacker.example:${new URL(base).port}` } });
    expect(page.status).toBe(403);
    const call = await bridge(
      { command: 'invoke', data: { functionKey: 'getStatus' } },
      { host: 'attacker.example' },
    );
    expect(call.status).toBe(403);
  });

  it('refuses a request from another machine', () => {
    const { refusal } = test.load<typeof Access>('../../src/local/admin-host/access');
    const from = (remoteAddress: string) =>
      refusal({
        socket: { remoteAddress },
        headers: { host: '127.0.0.1:8787' },
      } as unknown as http.IncomingMessage);
    expect(from('192.0.2.7')).toMatch(/only on this machine/);
    expect(from('127.0.0.1')).toBeUndefined();
    expect(from('::1')).toBeUndefined();
  });

  it('answers bridge calls only from its own origin, as JSON', async () => {
    const foreign = await bridge(
      { command: 'invoke', data: { functionKey: 'getStatus' } },
      { origin: 'http://attacker.example' },
    );
    expect(foreign.status).toBe(403);
    const form = await request('/admin/bridge', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ command: 'invoke', data: { functionKey: 'getStatus' } }),
    });
    expect(form.status).toBe(403);
  });

  it('answers getContext, and refuses commands the browser host answers itself', async () => {
    const context = await bridge({ command: 'getContext' }, { origin: base });
    expect(context.status).toBe(200);
    expect(JSON.parse(context.body).result).toMatchObject({
      accountId: 'admin-1',
      moduleKey: 'scim-admin-jira',
      extension: { type: 'jira:adminPage' },
    });
    const reconcile = await bridge({ command: 'reconcile', data: {} });
    expect(reconcile.status).toBe(400);
    expect(JSON.parse(reconcile.body).error).toMatch(/reconcile/);
    const broken = await request('/admin/bridge', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    expect(broken.status).toBe(400);
  });

  it('names a UI module the manifest does not have, rather than failing', async () => {
    const call = await request('/admin/bridge?module=no-such-module', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ command: 'getContext' }),
    });
    expect(call.status).toBe(404);
    expect(JSON.parse(call.body).error).toMatch(/no-such-module/);
  });
});

const browserAvailable = fs.existsSync(CHROMIUM);
if (!browserAvailable) {
  console.warn(`Skipping the component gallery in Chromium: no Chromium at ${CHROMIUM}.`);
}

(browserAvailable ? describe : describe.skip)('every UI Kit component in headless Chromium', () => {
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
      ],
    });
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${base}/admin`, { timeout: WAIT_MS });
    await page.getByRole('heading', { name: 'Gallery' }).waitFor();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
  });

  /** The page's state line, parsed: what its callbacks received. */
  const state = async (): Promise<Record<string, unknown>> =>
    JSON.parse(((await page.getByText(/^state /).innerText()) as string).slice('state '.length));
  /** Waits for the state line to hold `key: value`, then checks it parsed. */
  const waitForState = async (key: string, value: unknown) => {
    const fragment = `"${key}":${JSON.stringify(value)}`;
    await page.getByText(new RegExp(`^state .*${fragment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)).waitFor();
    expect((await state())[key]).toEqual(value);
  };

  it('draws every component, and an unknown one visibly', async () => {
    for (const text of [
      'lozenge',
      '7',
      'tagged',
      'inline-code',
      'a link',
      'in a box',
      'A section message',
      'Its body.',
      'copy-me-123',
      'first item',
      'hover me',
      'Helper text',
      'An error message',
      'first panel',
      'row alpha',
      'Nothing here',
    ]) {
      await expect(page.getByText(text, { exact: true }).first().isVisible()).resolves.toBe(true);
    }
    await expect(page.getByRole('progressbar').count()).resolves.toBeGreaterThan(0);
    const unknown = page.locator('[data-unknown-component]');
    await expect(unknown.count()).resolves.toBe(1);
    await expect(unknown.innerText()).resolves.toContain('BarChart');
  });

  it('calls the page back from buttons, and not from a disabled one', async () => {
    await page.getByRole('button', { name: 'Click me' }).click();
    await waitForState('clicked', true);
    await page.getByRole('button', { name: 'Loading button' }).click();
    await waitForState('loadingClicked', true);
    await expect(page.getByRole('button', { name: 'Disabled' }).isDisabled()).resolves.toBe(true);
    expect((await state()).disabledClicked).toBeUndefined();
  });

  it('sends text fields, selects, checkboxes, toggles and radios to the page as plain events', async () => {
    await page.getByLabel('Name', { exact: true }).fill('Ada');
    await waitForState('name', 'Ada');
    await page.getByLabel('Notes').fill('two words');
    await waitForState('notes', 'two words');
    await page.getByLabel('Choice').click();
    await page.getByText('Option B', { exact: true }).click();
    await waitForState('choice', 'b');
    await page.getByLabel('I agree').check();
    await waitForState('agreed', true);
    // ADS draws the toggle over its input: click the label, as a user does.
    await page.getByLabel('toggle').locator('xpath=ancestor::label[1]').click();
    await waitForState('toggled', true);
    await page.getByLabel('Two').check();
    await waitForState('radio', 'two');
  });

  it('submits a form registered with useForm', async () => {
    await page.getByLabel('Nickname').fill('grace');
    await page.getByRole('button', { name: 'Submit form' }).click();
    await waitForState('submitted', { nickname: 'grace' });
  });

  it('shows why the page did not build, instead of a blank page', async () => {
    const host = test.load<typeof AdminHost>('../../src/local/admin-host');
    const { createLocalServer } = test.load<typeof Server>('../../src/local/server');
    const broken = host.adminPageMount(test.runtime, {
      root: path.resolve(__dirname, '../..'),
      accountId: 'admin-1',
      appEntry: path.join(__dirname, 'fixtures/no-such-page.tsx'),
    });
    const brokenServer = createLocalServer(() => Promise.reject(new Error('no SCIM here')), [broken]);
    await new Promise<void>((resolve) => brokenServer.listen(0, '127.0.0.1', resolve));
    const other = await browser.newPage();
    try {
      await other.goto(`http://127.0.0.1:${(brokenServer.address() as AddressInfo).port}/admin`);
      const problem = other.getByRole('alert').filter({ hasText: 'The admin page did not build' });
      await problem.waitFor({ timeout: WAIT_MS });
      await expect(problem.innerText()).resolves.toContain('no-such-page.tsx');
    } finally {
      await other.close();
      brokenServer.closeAllConnections();
      await new Promise((resolve) => brokenServer.close(resolve));
      await broken.close();
    }
  });

  it('switches tabs, opens and closes a modal, pages a table, shows a flag, copies a code block', async () => {
    await page.getByRole('tab', { name: 'Second tab' }).click();
    await page.getByText('second panel', { exact: true }).waitFor();
    await expect(page.getByText('first panel', { exact: true }).count()).resolves.toBe(0);

    await page.getByRole('button', { name: 'Open modal' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('modal body').waitFor();
    await dialog.getByRole('button', { name: 'Close modal' }).click();
    await dialog.waitFor({ state: 'detached' });

    await expect(page.getByText('row charlie').count()).resolves.toBe(0);
    await page.getByRole('button', { name: /page 2/i }).click();
    await page.getByText('row charlie', { exact: true }).waitFor();

    await page.getByRole('button', { name: 'Show flag' }).click();
    const flag = page.getByRole('status').filter({ hasText: 'Flag title' });
    await flag.getByText('Flag body').waitFor();
    await flag.getByRole('button', { name: 'Dismiss' }).click();
    await flag.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Copy to clipboard' }).click();
    await page.getByRole('button', { name: 'Copy to clipboard' }).filter({ hasText: 'Copied' }).waitFor();
    await expect(page.evaluate('navigator.clipboard.readText()')).resolves.toBe('copy-me-123');
    expect(pageErrors).toEqual([]);
  });
});
