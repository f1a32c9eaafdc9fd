/**
 * The embedded organization's User management API (src/local/embedded-org/user-management.ts)
 * against Atlassian's User management REST API reference
 * (https://developer.atlassian.com/cloud/admin/user-management/rest/, restated in the
 * handler's comment): managed accounts only, what each field accepts, the e-mail's domain,
 * the `{key, context}` error envelope, and durability. Needs nothing outside the repository.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedOrganization, SEED_ACCOUNTS } from '../../src/local/embedded-org';
import { client, newOrg } from './helpers';

async function um(org: EmbeddedOrganization, method: string, path: string, body?: unknown, key = org.apiKey) {
  const answer = await org.handle({
    method,
    path,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form JSON under test
  return { status: answer.status, body: answer.body ? (JSON.parse(answer.body) as any) : undefined };
}

const accountOf = (org: EmbeddedOrganization, email: string) => org.findUserByEmail(email)!.accountId;

describe('User management API: who can be managed', () => {
  it('answers the privileges of a managed account, per profile field and for the e-mail', async () => {
    const org = newOrg({ profileLockRate: 0 });
    const ada = accountOf(org, SEED_ACCOUNTS.existing);
    const answer = await um(org, 'GET', `/users/${ada}/manage`);
    expect(answer.status).toBe(200);
    expect(answer.body['profile.write']).toEqual({
      name: { allowed: true },
      nickname: { allowed: true },
      zoneinfo: { allowed: true },
      locale: { allowed: true },
      'extended_profile.job_title': { allowed: true },
      'extended_profile.department': { allowed: true },
      'extended_profile.organization': { allowed: true },
      'extended_profile.location': { allowed: true },
    });
    expect(answer.body['email.set']).toEqual({ allowed: true });
  });

  it('refuses an account outside the verified domains (403 forbidden), an unknown one (404) and a wrong key (401)', async () => {
    const org = newOrg({ verifiedDomains: ['offline.example'] });
    const ada = accountOf(org, SEED_ACCOUNTS.existing);
    for (const [method, suffix, body] of [
      ['GET', '', undefined],
      ['GET', '/profile', undefined],
      ['PATCH', '/profile', { name: 'X' }],
      ['PUT', '/email', { email: 'x@offline.example' }],
    ] as const) {
      expect(await um(org, method, `/users/${ada}/manage${suffix}`, body)).toEqual({
        status: 403,
        body: { key: 'forbidden' },
      });
    }
    expect(await um(org, 'GET', '/users/712020:nobody/manage')).toEqual({
      status: 404,
      body: { key: 'accountNotFound' },
    });
    expect(await um(org, 'GET', `/users/${ada}/manage`, undefined, 'wrong')).toEqual({
      status: 401,
      body: { key: 'unauthorized' },
    });
    expect(org.findUserByEmail(SEED_ACCOUNTS.existing)?.name).toBe('Ada Lovelace');
  });

  it('varies, per account and kept, whether the name is the app’s to write (externalDirectory.scim)', async () => {
    const org = newOrg({ profileLockRate: 1, profileSeed: 3 });
    const ada = accountOf(org, SEED_ACCOUNTS.existing);
    const rules = (await um(org, 'GET', `/users/${ada}/manage`)).body['profile.write'];
    expect(rules.name).toEqual({ allowed: false, reason: { key: 'externalDirectory.scim' } });
    expect(rules['extended_profile.department']).toEqual({ allowed: true });
    const refused = await um(org, 'PATCH', `/users/${ada}/manage/profile`, {
      name: 'Countess',
      extended_profile: { department: 'R&D' },
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ key: 'forbidden.fieldMutation', context: rules });
    // Nothing of a refused PATCH is applied.
    expect(org.findUserByEmail(SEED_ACCOUNTS.existing)?.extendedProfile?.department).toBeUndefined();

    const drawn = new Set<boolean>();
    for (let seed = 0; seed < 20; seed++) {
      const varied = newOrg({ profileSeed: seed, profileLockRate: 0.5 });
      const answer = await um(varied, 'GET', `/users/${accountOf(varied, SEED_ACCOUNTS.existing)}/manage`);
      drawn.add(answer.body['profile.write'].name.allowed as boolean);
    }
    expect([...drawn].sort()).toEqual([false, true]);
  });
});

describe('User management API: the profile', () => {
  it('changes the fields a PATCH names, and only those, answering the account', async () => {
    const org = newOrg({ profileLockRate: 0 });
    const ada = accountOf(org, SEED_ACCOUNTS.existing);
    const answer = await um(org, 'PATCH', `/users/${ada}/manage/profile`, {
      name: 'Augusta Ada King',
      zoneinfo: 'Europe/London',
      locale: 'en-GB',
      extended_profile: { job_title: 'Analyst', department: 'Engines', location: 'London, UK' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.account).toMatchObject({
      account_id: ada,
      name: 'Augusta Ada King',
      nickname: 'Ada',
      email: SEED_ACCOUNTS.existing,
      zoneinfo: 'Europe/London',
      locale: 'en-GB',
      extended_profile: { job_title: 'Analyst', department: 'Engines', location: 'London, UK' },
    });
    // The Organizations API shows the new name too.
    const api = client(org);
    const details = (await api.call('GET', `${api.d}/users/${ada}`)).body;
    expect((details.data ?? details).name).toBe('Augusta Ada King');
    // An empty string clears an extended-profile field (UNCONFIRMED, README).
    await um(org, 'PATCH', `/users/${ada}/manage/profile`, { extended_profile: { department: '' } });
    const read = await um(org, 'GET', `/users/${ada}/manage/profile`);
    expect(read.body.account.extended_profile).toEqual({ job_title: 'Analyst', location: 'London, UK' });
  });

  it('refuses values the reference constrains: 400 fieldConstraintsViolated naming every field, nothing applied', async () => {
    const org = newOrg({ profileLockRate: 0 });
    const ada = accountOf(org, SEED_ACCOUNTS.existing);
    const answer = await um(org, 'PATCH', `/users/${ada}/manage/profile`, {
      name: 'x'.repeat(101),
      nickname: 'a nickname far longer than thirty',
      zoneinfo: 'Mars/Olympus',
      locale: 'not a locale!',
      extended_profile: { department: 42, job_title: 'tab\there' },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.key).toBe('fieldConstraintsViolated');
    const byField = Object.fromEntries(
      (answer.body.context.fieldViolations as { field: string; violations: { key: string }[] }[]).map((v) => [
        v.field,
        v.violations.map((x) => x.key),
      ]),
    );
    expect(byField).toEqual({
      name: ['maxLength'],
      nickname: ['maxLength'],
      zoneinfo: ['format'],
      locale: ['format'],
      'extended_profile.department': ['type'],
      'extended_profile.job_title': ['validCharacters'],
    });
    expect(org.findUserByEmail(SEED_ACCOUNTS.existing)?.name).toBe('Ada Lovelace');
    expect((await um(org, 'PATCH', `/users/${ada}/manage/profile`, '{not json')).body).toEqual({
      key: 'bodyParseFailure',
    });
    // A read-only field of the account (its e-mail) is not the profile's to change.
    const readOnly = await um(org, 'PATCH', `/users/${ada}/manage/profile`, { email: 'x@example.com' });
    expect(readOnly.status).toBe(403);
    expect(readOnly.body.key).toBe('forbidden.fieldMutation');
  });

  it('answers 405 for a method the path does not have', async () => {
    const org = newOrg();
    const ada = accountOf(org, SEED_ACCOUNTS.existing);
    const answer = await org.handle({
      method: 'DELETE',
      path: `/users/${ada}/manage/profile`,
      headers: { authorization: `Bearer ${org.apiKey}` },
    });
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('GET, PATCH');
  });
});

describe('User management API: the e-mail', () => {
  it('sets an e-mail on a verified domain (204), keeps the account, and finds it by the new address', async () => {
    const org = newOrg();
    const ada = accountOf(org, SEED_ACCOUNTS.existing);
    expect(
      (await um(org, 'PUT', `/users/${ada}/manage/email`, { email: 'countess@example.com' })).status,
    ).toBe(204);
    expect(org.findUserByEmail('countess@example.com')?.accountId).toBe(ada);
    expect(org.findUserByEmail(SEED_ACCOUNTS.existing)).toBeUndefined();
    const api = client(org);
    expect(await api.accountOf('countess@example.com')).toBe(ada);
    // Sent again (a lost answer): the same 204, nothing else changes.
    expect(
      (await um(org, 'PUT', `/users/${ada}/manage/email`, { email: 'countess@example.com' })).status,
    ).toBe(204);
  });

  it('refuses an unverified domain (403 forbidden.unclaimedDomain), a bad address (400) and an address in use', async () => {
    const org = newOrg();
    const ada = accountOf(org, SEED_ACCOUNTS.existing);
    expect(await um(org, 'PUT', `/users/${ada}/manage/email`, { email: 'ada@analytical.example' })).toEqual({
      status: 403,
      body: { key: 'forbidden.unclaimedDomain', context: { domain: 'analytical.example' } },
    });
    const bad = await um(org, 'PUT', `/users/${ada}/manage/email`, { email: 'no-at-sign' });
    expect(bad.status).toBe(400);
    expect(bad.body.context.fieldViolations[0].field).toBe('email');
    expect((await um(org, 'PUT', `/users/${ada}/manage/email`, {})).body.context.fieldViolations).toEqual([
      { field: 'email', violations: [{ key: 'required' }] },
    ]);
    const long = `${'a'.repeat(256)}@example.com`;
    expect(
      (await um(org, 'PUT', `/users/${ada}/manage/email`, { email: long })).body.context.fieldViolations[0]
        .violations,
    ).toEqual([{ key: 'partMaxLength' }]);

    // In use by another account: the reference names no answer, so it varies between two.
    const statuses = new Set<number>();
    for (let seed = 0; seed < 12; seed++) {
      const varied = newOrg({ profileSeed: seed });
      const id = accountOf(varied, SEED_ACCOUNTS.existing);
      const taken = await um(varied, 'PUT', `/users/${id}/manage/email`, { email: SEED_ACCOUNTS.suspended });
      statuses.add(taken.status);
      expect(varied.findUserByEmail(SEED_ACCOUNTS.existing)?.accountId).toBe(id);
    }
    expect([...statuses].sort()).toEqual([400, 409]);
  });
});

describe('User management API: durability', () => {
  it('keeps profile changes, e-mails and drawn locks across a restart over the same DATA_DIR', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'um-'));
    try {
      let org = new EmbeddedOrganization({ dataDir, profileLockRate: 0 });
      const ada = accountOf(org, SEED_ACCOUNTS.existing);
      await um(org, 'PATCH', `/users/${ada}/manage/profile`, { extended_profile: { department: 'Engines' } });
      await um(org, 'PUT', `/users/${ada}/manage/email`, { email: 'countess@example.com' });
      org.close();
      // Reopened with every account locked: the lock drawn before (none) is kept.
      org = new EmbeddedOrganization({ dataDir, profileLockRate: 1 });
      expect(org.findUserByEmail('countess@example.com')).toMatchObject({
        accountId: ada,
        extendedProfile: { department: 'Engines' },
        lockedFields: [],
      });
      expect((await um(org, 'GET', `/users/${ada}/manage`)).body['profile.write'].name).toEqual({
        allowed: true,
      });
      org.close();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
