/**
 * Replay of miniOrange's IdP as a SCIM client. It always sends its six required attributes
 * (userName, name.givenName, name.familyName, emails[type eq "work"].value, displayName,
 * active), maps groups by displayName, and deprovisions either by DELETE or by removing the
 * user from the mapped group.
 * Source: https://developers.miniorange.com/docs/atlassian/scim/user-sync-settings (the exact
 * PATCH shapes are not documented; this replay uses the RFC forms with miniOrange's attribute paths).
 */
import { createTestApp, filter, TestApp } from '../support/harness';
import {
  expectCreated,
  expectListResponse,
  expectNoContent,
  expectResource,
  expectScimError,
  GROUP_SCHEMA,
  groupIdsOf,
  memberIds,
  patchOps,
  sorted,
  USER_SCHEMA,
} from './replay';

interface Person {
  login: string;
  given: string;
  family: string;
}

/** A POST carrying exactly miniOrange's six required attributes. */
function requiredAttributes(p: Person): Record<string, unknown> {
  return {
    schemas: [USER_SCHEMA],
    userName: p.login,
    name: { givenName: p.given, familyName: p.family },
    emails: [{ type: 'work', value: p.login, primary: true }],
    displayName: `${p.given} ${p.family}`,
    active: true,
  };
}

/** Group mapping: find the group by displayName, create it only if it is missing. */
async function mapGroup(t: TestApp, displayName: string): Promise<string> {
  const lookup = await t.request('GET', `/Groups?${filter(`displayName eq "${displayName}"`)}`);
  expect(lookup.status).toBe(200);
  if (lookup.body.totalResults === 1) return lookup.body.Resources[0].id;
  const created = await t.request('POST', '/Groups', { body: { schemas: [GROUP_SCHEMA], displayName } });
  expectCreated(created, GROUP_SCHEMA);
  return created.body.id;
}

describe('miniOrange IdP as a SCIM client', () => {
  const t = createTestApp();
  const priya: Person = { login: 'priya@example.com', given: 'Priya', family: 'Patel' };
  const tom: Person = { login: 'tom@example.com', given: 'Tom', family: 'Berg' };
  let priyaId: string;
  let tomId: string;
  let jiraUsers: string;

  it('creates users with the six required attributes, all stored and returned', async () => {
    const r = await t.request('POST', '/Users', { body: requiredAttributes(priya) });
    expectCreated(r, USER_SCHEMA);
    priyaId = r.body.id;
    expect(r.body).toMatchObject({
      userName: 'priya@example.com',
      name: { givenName: 'Priya', familyName: 'Patel' },
      emails: [{ type: 'work', value: 'priya@example.com', primary: true }],
      displayName: 'Priya Patel',
      active: true,
    });

    const t2 = await t.request('POST', '/Users', { body: requiredAttributes(tom) });
    expectCreated(t2, USER_SCHEMA);
    tomId = t2.body.id;

    // The work e-mail is what miniOrange matches on.
    const byWorkEmail = await t.request(
      'GET',
      `/Users?${filter('emails[type eq "work"].value eq "PRIYA@example.com"')}`,
    );
    expect(expectListResponse(byWorkEmail, 1)[0].id).toBe(priyaId);
  });

  it('updates the required attributes by their paths, emails[type eq "work"].value included', async () => {
    const r = await t.request(
      'PATCH',
      `/Users/${priyaId}`,
      patchOps(
        { op: 'replace', path: 'name.familyName', value: 'Patel-Shah' },
        { op: 'replace', path: 'displayName', value: 'Priya Patel-Shah' },
        { op: 'replace', path: 'emails[type eq "work"].value', value: 'priya.shah@example.com' },
      ),
    );
    expectNoContent(r);
    const user = await t.request('GET', `/Users/${priyaId}`);
    expectResource(user, 200, USER_SCHEMA);
    expect(user.body).toMatchObject({
      userName: 'priya@example.com',
      name: { givenName: 'Priya', familyName: 'Patel-Shah' },
      displayName: 'Priya Patel-Shah',
      emails: [{ type: 'work', value: 'priya.shah@example.com', primary: true }],
      active: true,
    });
  });

  it('maps a group by displayName: creates it once, then finds the same group', async () => {
    jiraUsers = await mapGroup(t, 'jira-software-users');
    expect(await mapGroup(t, 'jira-software-users')).toBe(jiraUsers);
    expectListResponse(await t.request('GET', '/Groups'), 1);

    for (const id of [priyaId, tomId]) {
      expectNoContent(
        await t.request(
          'PATCH',
          `/Groups/${jiraUsers}`,
          patchOps({ op: 'add', path: 'members', value: [{ value: id }] }),
        ),
      );
    }
    // The next sync re-sends both memberships: still two members.
    expectNoContent(
      await t.request(
        'PATCH',
        `/Groups/${jiraUsers}`,
        patchOps({ op: 'add', path: 'members', value: [{ value: priyaId }, { value: tomId }] }),
      ),
    );
    expect(await memberIds(t, jiraUsers)).toEqual(sorted(priyaId, tomId));
  });

  it('deprovisions by removal from the group: the user stays, only the membership goes', async () => {
    expectNoContent(
      await t.request(
        'PATCH',
        `/Groups/${jiraUsers}`,
        patchOps({ op: 'remove', path: `members[value eq "${tomId}"]` }),
      ),
    );
    expect(await memberIds(t, jiraUsers)).toEqual([priyaId]);
    expect(await groupIdsOf(t, tomId)).toEqual([]);
    const user = await t.request('GET', `/Users/${tomId}`);
    expectResource(user, 200, USER_SCHEMA);
    expect(user.body.active).toBe(true);
  });

  it('deprovisions by DELETE: 204, then 404, and the user leaves the group', async () => {
    expect((await t.request('DELETE', `/Users/${priyaId}`)).status).toBe(204);
    expectScimError(await t.request('GET', `/Users/${priyaId}`), 404);
    expect(await memberIds(t, jiraUsers)).toEqual([]);
    const byName = await t.request('GET', `/Users?${filter('userName eq "priya@example.com"')}`);
    expectListResponse(byName, 0);
  });

  it('deletes the group when group deletion is switched on', async () => {
    expect((await t.request('DELETE', `/Groups/${jiraUsers}`)).status).toBe(204);
    expectScimError(await t.request('GET', `/Groups/${jiraUsers}`), 404);
    expectListResponse(await t.request('GET', '/Groups'), 0);
    // Re-provisioning the same user later works: the userName was released.
    const again = await t.request('POST', '/Users', { body: requiredAttributes(priya) });
    expectCreated(again, USER_SCHEMA);
  });
});
