/**
 * `ATLASSIAN_MODE=site npm start`: the app provisions through the site-admin mode into the
 * embedded organization's Jira site. The organization has no paid subscription here, so the
 * Organizations API's invite would answer 402: the account appearing proves the site's
 * `POST /rest/api/3/user` made it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLocalServer } from '../local/run-local';

jest.setTimeout(90_000);

it('provisions a SCIM user through the Jira site with the site admin token', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'site-mode-'));
  const server = await startLocalServer({
    DATA_DIR: dataDir,
    SCIM_BEARER_TOKEN: 'site-mode-token',
    ATLASSIAN_MODE: 'site',
    EMBEDDED_ORG_PAID: '0',
    EMBEDDED_ORG_SITE_TOKEN: 'site-token-1',
  });
  try {
    expect(server.output()).toMatch(
      /Jira site: +https:\/\/offline\.atlassian\.net \(embedded: http:\/\/127\.0\.0\.1:\d+\/atlassian\/site\)/,
    );
    const created = await fetch(`${server.baseUrl}/Users`, {
      method: 'POST',
      headers: { authorization: 'Bearer site-mode-token', 'content-type': 'application/scim+json' },
      body: JSON.stringify({
        userName: 'zed@example.com',
        emails: [{ value: 'zed@example.com', primary: true }],
      }),
    });
    expect(created.status).toBe(201);
    const site = server.baseUrl.replace(/\/scim\/v2$/, '/atlassian/site');
    const basic = `Basic ${Buffer.from('admin@offline.example:site-token-1').toString('base64')}`;
    let found: { emailAddress?: string; active?: boolean }[] = [];
    // The sync runs from a queued event a few seconds after the SCIM write.
    for (let i = 0; i < 240 && found.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const answer = await fetch(`${site}/rest/api/3/user/search?query=zed%40example.com`, {
        headers: { authorization: basic },
      });
      expect(answer.status).toBe(200);
      found = (await answer.json()) as typeof found;
    }
    expect(found).toEqual([expect.objectContaining({ emailAddress: 'zed@example.com', active: true })]);
  } finally {
    expect(await server.stop()).toBe(0);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
