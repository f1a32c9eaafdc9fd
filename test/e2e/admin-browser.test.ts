/**
 * The admin page end to end, as a new admin uses it: `npm start`'s entry point serves
 * /admin, headless Chromium (Debian's package) opens it, a click on the button whose label
 * says "token" generates one, and a SCIM client pointed at the base URL the page shows with
 * that token creates a user, which then appears under Activity.
 *
 * SCREENSHOTS=1 also writes a picture of each section to static/admin/screenshots/ (the
 * README shows them); a normal run writes nothing into the tree.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT, startLocalServer, type LocalServer } from '../local/run-local';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = process.env.SCREENSHOTS === '1' ? path.join(ROOT, 'static/admin/screenshots') : undefined;
/** Generous: the first /admin bundles the page, and the machine may be busy. */
const WAIT_MS = 45_000;

const available = fs.existsSync(CHROMIUM);
if (!available) {
  console.warn(
    `Skipping the admin page browser test: no Chromium at ${CHROMIUM} (apt-get install chromium, as .ci/run does, or set CHROMIUM_PATH).`,
  );
}

(available ? describe : describe.skip)('the admin page in headless Chromium', () => {
  let server: LocalServer;
  let browser: Browser;
  let page: Page;
  let dataDir: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scim-admin-browser-'));
    server = await startLocalServer({ DATA_DIR: dataDir, FORGE_LICENSE: 'none' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-extensions',
        '--no-first-run',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.setDefaultTimeout(WAIT_MS);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('goes from nothing to a working SCIM connection, and shows the change under Activity', async () => {
    const adminUrl = new URL('/admin', server.baseUrl).toString();
    await page.goto(adminUrl, { timeout: WAIT_MS });
    await page.getByRole('heading', { name: 'SCIM provisioning' }).waitFor();
    await shoot('overview');

    await openSection('SCIM connection');
    const baseUrl = (
      await page
        .getByText(/^http:\/\/127\.0\.0\.1:\d+\/scim\/v2$/)
        .first()
        .innerText()
    ).trim();
    expect(baseUrl).toBe(server.baseUrl);

    await page.getByRole('button', { name: /token/i }).first().click();
    // The new token, shown in full once (the list shows only fingerprints).
    const tokenText = page.getByText(/^scim_[A-Za-z0-9_-]{43}$/);
    const token = (await tokenText.first().innerText()).trim();
    await shoot('scim-connection');

    const userName = `e2e.${Date.now()}@example.com`;
    const created = await fetch(`${baseUrl}/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName,
        name: { givenName: 'End', familyName: 'To End' },
        emails: [{ value: userName, type: 'work', primary: true }],
        active: true,
      }),
    });
    expect(created.status).toBe(201);
    const user = (await created.json()) as { id: string; userName: string };
    expect(user.userName).toBe(userName);

    await openSection('Activity');
    // Each row names its user as the identity provider does (the SCIM id is in Details).
    await waitForText(userName, 'Refresh');
    const row = page.getByRole('row').filter({ hasText: userName }).first();
    await expect(row.innerText()).resolves.toContain('POST /Users');
    await shoot('activity');

    await openSection('Atlassian connection');
    await shoot('atlassian-connection');
    await openSection('Policies');
    await shoot('policies');

    // Shown once: opened again, the page has only the token's fingerprint.
    await page.reload();
    await openSection('SCIM connection');
    await page.getByText(baseUrl, { exact: true }).first().waitFor();
    await expect(page.getByText(token).count()).resolves.toBe(0);
    await expect(page.content()).resolves.not.toContain(token);

    expect(pageErrors).toEqual([]);
    // The shell reports problems (a bridge command it cannot answer, an unknown component) visibly.
    await expect(page.locator('.fh-problems, [data-unknown-component]').count()).resolves.toBe(0);
  }, 120_000);

  /** Opens a tab of the page by its label (the page is one section per tab). */
  async function openSection(name: string): Promise<void> {
    await page.getByRole('tab', { name }).click();
    await page.getByRole('tab', { name, selected: true }).waitFor();
  }

  /**
   * Waits until the page shows `text`, pressing the button named `refresh` between looks:
   * the user's entry is written by the SCIM request, the page shows it on its next load.
   */
  async function waitForText(text: string, refresh: string): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    const found = page.getByText(text, { exact: true }).first();
    for (;;) {
      await page.getByRole('button', { name: refresh, exact: true }).first().click();
      try {
        await found.waitFor({ timeout: 3_000 });
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
    }
  }

  async function shoot(name: string): Promise<void> {
    if (!SCREENSHOTS) return;
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }
});
