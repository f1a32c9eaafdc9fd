/**
 * Issue 13, case 9: the site-admin mode deactivates by removing product-access groups (Jira
 * cannot suspend). A Jira role given to the user directly survives that; the app asks Jira
 * which products the account can still use (GET /rest/api/3/user?expand=applicationRoles) and
 * logs `failed` with what remains and the fix, so the overview is not Healthy. Driven over
 * SCIM in site mode, read back through the organization's API, the overview built as getStatus
 * builds it (src/forge/index.ts: buildStatus over countFailed).
 */
import { buildStatus, countFailed, countPending } from '../../src/forge/status';
import { client } from '../embedded-org/helpers';
import { createWorld, readOrg, World } from '../sync/support';
import {
  entraCreate,
  entraSetActive,
  logOf,
  policiesWith,
  productGroup,
} from '../sync/user-policies-support';
import { siteAdapterFor, sitePortWithAppReads } from './support';

function siteWorld(): World {
  const world: World = createWorld({
    policies: policiesWith({ newUsers: { defaultGroups: ['jira-users'], productAccess: [] } }),
    wrapPort: () => sitePortWithAppReads(world.org),
  });
  return world;
}

/** An admin gives the account Jira directly, in Atlassian Administration (v1 user roles). */
async function giveJiraDirectly(world: World, email: string): Promise<string> {
  const api = client(world.org);
  const accountId = (await api.accountOf(email)) as string;
  const answer = await api.call('POST', `/v1/orgs/${world.org.orgId}/users/${accountId}/roles/assign`, {
    role: 'atlassian/user',
    resource: `ari:cloud:jira-software::site/${world.org.meta.cloudId}`,
  });
  expect(answer.status).toBe(204);
  return accountId;
}

/** The overview as getStatus answers it, over the world's log and store. */
async function overview(world: World) {
  const now = world.clock.now;
  return buildStatus({
    scimBaseUrl: 'https://x.hello.atlassian-dev.net/x1/abc/scim/v2',
    tokens: [{ id: 'tok_1', fingerprint: '…00000000', createdAt: now - 3_600_000, lastUsedAt: now }],
    users: await world.app.directory.users.total(),
    groups: await world.app.directory.groups.total(),
    pending: await countPending(world.local),
    failed: await countFailed(world.app, now),
    licence: { state: 'active', writesAllowed: true, detail: 'active' },
    connected: true,
    now,
  });
}

describe('the site-admin mode cannot remove a role given directly (case 9)', () => {
  it('logs failed with what remains and the fix, and the overview is not Healthy', async () => {
    const world = siteWorld();
    await productGroup(world, 'jira-users', 'jira-software');
    const amy = await entraCreate(world, 'amy@example.com');
    await world.settle();
    expect((await readOrg(world.org)).users.get('amy@example.com')?.groups).toEqual(['jira-users']);
    const accountId = await giveJiraDirectly(world, 'amy@example.com');
    expect((await overview(world)).health.state).toBe('ok');

    await entraSetActive(world, amy, false);
    await world.settle();

    // The group went; the direct role stays (this connection cannot remove it).
    const user = (await readOrg(world.org)).users.get('amy@example.com');
    expect(user).toMatchObject({ accountId, status: 'active', groups: [] });
    const site = siteAdapterFor(world.org);
    expect(await site.remainingAccess(accountId)).toEqual(['jira-software']);

    const failed = await logOf(world, amy, 'failed');
    expect(failed).toEqual([
      expect.objectContaining({
        operation: 'removeMember',
        errorKind: 'unsupported',
        result: expect.stringMatching(
          /^product access remains: jira-software, .*a role given to the user directly/,
        ),
      }),
    ]);
    expect(failed[0].result).toMatch(/Remove it in Atlassian Administration/);
    expect(failed[0].error).toContain(accountId);
    const ok = (await logOf(world, amy, 'ok')).map((e) => e.result ?? '');
    expect(ok.some((r) => r.includes('no product access to remove'))).toBe(false);

    const status = await overview(world);
    expect(status.failed).toBe(1);
    expect(status.health.state).not.toBe('ok');
    expect(status.health.message).toMatch(/1 failure in the sync log/);
  });

  it('logs no failure when the groups were all the access there was', async () => {
    const world = siteWorld();
    await productGroup(world, 'jira-users', 'jira-software');
    const ben = await entraCreate(world, 'ben@example.com');
    await world.settle();
    await entraSetActive(world, ben, false);
    await world.settle();

    const accountId = (await client(world.org).accountOf('ben@example.com')) as string;
    expect((await readOrg(world.org)).users.get('ben@example.com')?.groups).toEqual([]);
    expect(await siteAdapterFor(world.org).remainingAccess(accountId)).toEqual([]);
    expect(await logOf(world, ben, 'failed')).toEqual([]);
    expect((await overview(world)).health.state).toBe('ok');
  });
});
