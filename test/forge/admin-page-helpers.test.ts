/**
 * The admin page's pure modules: fix hints for sync log entries, the policy form model, the
 * identity-provider guides, the log filters and the display of times and failures.
 */
import { fixHint } from '../../src/frontend/fix-hints';
import {
  describeFailure,
  formatAgo,
  formatCount,
  formatLastRequest,
  formatTime,
  formatWhen,
} from '../../src/frontend/format';
import { IDP_GUIDES, TOKEN_PLACEHOLDER, findGuide, guideFields } from '../../src/frontend/idp-guides';
import { NO_FILTERS, PAGE_SIZE, STATUSES, logQuery } from '../../src/frontend/log-filters';
import { fromForm, problemsAt, regexError, toForm, unplacedProblems } from '../../src/frontend/policy-form';
import { connectionTestAdvice } from '../../src/frontend/connection-advice';
import { DEFAULT_POLICIES, Policies } from '../../src/policies/policies';
import { LOG_STATUSES, LogEntry } from '../../src/sync/log';
import { connectionInput } from '../../src/frontend/connection-form';
import { canRetry, entryDetails } from '../../src/frontend/log-entry';
import { describeProgress, progressFraction } from '../../src/frontend/reconcile-progress';
import type { ReconcileProgress } from '../../src/forge/admin-api';

describe('fix hints', () => {
  const atlassian = { source: 'atlassian' as const, operation: 'invite' };

  it('gives none for entries that need nothing', () => {
    expect(fixHint({ ...atlassian, status: 'ok' })).toBeUndefined();
    expect(fixHint({ ...atlassian, status: 'planned' })).toBeUndefined();
  });

  it('explains each Atlassian error kind, and whether retrying can help', () => {
    expect(fixHint({ ...atlassian, status: 'blocked', errorKind: 'payment-required' })).toMatchObject({
      title: expect.stringMatching(/paid Atlassian subscription/),
      retryable: true,
    });
    expect(fixHint({ ...atlassian, status: 'failed', errorKind: 'forbidden' })?.fix).toMatch(
      /Test connection/,
    );
    expect(fixHint({ ...atlassian, status: 'failed', errorKind: 'transient' })?.fix).toMatch(/retries/);
    expect(fixHint({ ...atlassian, status: 'failed', errorKind: 'conflict' })?.fix).toMatch(/Policies tab/);
    expect(fixHint({ ...atlassian, status: 'failed', errorKind: 'unsupported' })?.retryable).toBe(false);
    expect(fixHint({ ...atlassian, status: 'failed', errorKind: 'not-found' })?.retryable).toBe(true);
  });

  it('names the rename a group needs by hand before the generic unsupported hint', () => {
    expect(
      fixHint({
        source: 'atlassian',
        operation: 'renameGroup',
        status: 'attention',
        errorKind: 'unsupported',
      }),
    ).toMatchObject({ title: 'The group must be renamed by hand', retryable: true });
  });

  it('explains SCIM answers by HTTP status, and never offers a retry for them', () => {
    const scim = { source: 'scim' as const, operation: 'POST /Users', status: 'failed' as const };
    expect(fixHint({ ...scim, httpStatus: 401 })).toMatchObject({
      fix: expect.stringMatching(/Generate a token/),
    });
    expect(fixHint({ ...scim, httpStatus: 409 })?.retryable).toBe(false);
    expect(fixHint({ ...scim, httpStatus: 503 })?.title).toMatch(/failed to answer/);
  });

  it('recognises "not connected" and the seat cap from what the entry says', () => {
    expect(
      fixHint({
        source: 'sync',
        operation: 'connection',
        status: 'attention',
        result: 'not connected: no Atlassian API key is configured',
      })?.title,
    ).toBe('Atlassian is not connected');
    expect(fixHint({ ...atlassian, status: 'blocked', result: 'waiting for a seat (cap 10)' })?.fix).toMatch(
      /Raise the seat cap/,
    );
  });

  it('has a hint for every status that is not ok or planned', () => {
    for (const status of LOG_STATUSES.filter((s) => s !== 'ok' && s !== 'planned')) {
      expect(fixHint({ ...atlassian, status })).toMatchObject({
        title: expect.any(String),
        fix: expect.any(String),
      });
    }
    expect(fixHint({ ...atlassian, status: 'skipped' })?.retryable).toBe(false);
  });
});

describe('the policy form', () => {
  const full: Policies = {
    linking: { linkExistingByEmail: false },
    deactivation: { action: 'remove-product-access', restoreMemberships: false },
    deletion: { action: 'remove-from-directory' },
    protectedAccounts: { admins: true, accountIds: ['557058:a', '557058:b'], emails: ['ceo@example.com'] },
    newUsers: {
      defaultGroups: ['staff', 'jira-users'],
      productAccess: [{ product: 'jira-software' }, { product: 'confluence', role: 'atlassian/admin' }],
    },
    groups: {
      nameMap: { Engineering: 'jira-engineering', 'Sales EU': 'sales' },
      rewrite: { pattern: '^sg-(.*)$', replacement: '$1', flags: 'i' },
      prefix: 'idp-',
      createUnknown: false,
      onExistingName: 'report',
    },
    seatCap: { limit: 25 },
    dryRun: true,
    drift: { action: 'report' },
  };

  it('round-trips every field of a policy document', () => {
    expect(fromForm(toForm(full))).toEqual({ policies: full, problems: [] });
    expect(fromForm(toForm(DEFAULT_POLICIES))).toEqual({ policies: DEFAULT_POLICIES, problems: [] });
  });

  it('reads lists one item a line and the name map as "from => to", ignoring blank lines', () => {
    const form = {
      ...toForm(DEFAULT_POLICIES),
      defaultGroups: ' staff \n\n jira-users\r\n',
      nameMap: 'A => b\n  C=>d  \n',
      productAccess: 'jira-software\nconfluence atlassian/user',
    };
    const { policies, problems } = fromForm(form);
    expect(problems).toEqual([]);
    expect(policies.newUsers.defaultGroups).toEqual(['staff', 'jira-users']);
    expect(policies.groups.nameMap).toEqual({ A: 'b', C: 'd' });
    expect(policies.newUsers.productAccess).toEqual([
      { product: 'jira-software' },
      { product: 'confluence', role: 'atlassian/user' },
    ]);
  });

  it('refuses a regex that does not compile, with the engine reason, at its path', () => {
    const form = { ...toForm(DEFAULT_POLICIES), rewritePattern: '(unclosed', rewriteReplacement: '$1' };
    const { problems } = fromForm(form);
    expect(problems).toHaveLength(1);
    expect(problems[0].path).toBe('groups.rewrite.pattern');
    expect(problems[0].reason).toContain(regexError('(unclosed', '') as string);
    expect(problems[0].reason).toMatch(/does not compile: .*Unterminated group/);
    expect(fromForm({ ...form, rewritePattern: 'x', rewriteFlags: 'q' }).problems[0].reason).toMatch(
      /flags/i,
    );
    expect(regexError('^ok$', 'i')).toBeUndefined();
  });

  it('finds the other cheap mistakes, each at its path', () => {
    const form = {
      ...toForm(DEFAULT_POLICIES),
      nameMap: 'Engineering\nA => b\nA => c',
      seatCap: '2.5',
      protectedEmails: 'not-an-email',
      productAccess: 'jira-software admin',
      rewriteReplacement: '$1',
    };
    expect(fromForm(form).problems.map((p) => p.path)).toEqual([
      'groups.nameMap',
      'groups.nameMap',
      'newUsers.productAccess',
      'protectedAccounts.emails',
      'groups.rewrite.pattern',
      'seatCap.limit',
    ]);
    expect(fromForm({ ...toForm(DEFAULT_POLICIES), seatCap: '0' }).problems[0].path).toBe('seatCap.limit');
    expect(fromForm({ ...toForm(DEFAULT_POLICIES), seatCap: ' ' }).policies.seatCap).toEqual({});
  });

  it("runs the server's validation in the page once the form's own checks pass", () => {
    const form = { ...toForm(DEFAULT_POLICIES), defaultGroups: `staff\n${'x'.repeat(300)}` };
    expect(fromForm(form).problems).toEqual([
      { path: 'newUsers.defaultGroups[1]', reason: expect.stringMatching(/255/) },
    ]);
  });

  it('places server problems under the field of their path, and lists the others apart', () => {
    const problems = [
      { path: 'groups.rewrite.pattern', reason: 'bad' },
      { path: 'newUsers.defaultGroups[1]', reason: 'empty name' },
      { path: 'mystery', reason: 'unknown field' },
    ];
    expect(problemsAt(problems, 'groups.rewrite')).toEqual(['bad']);
    expect(problemsAt(problems, 'newUsers.defaultGroups')).toEqual(['empty name']);
    expect(problemsAt(problems, 'newUsers.default')).toEqual([]);
    expect(unplacedProblems(problems, ['groups.rewrite', 'newUsers.defaultGroups'])).toEqual([
      { path: 'mystery', reason: 'unknown field' },
    ]);
  });
});

describe('the identity-provider guides', () => {
  const values = { baseUrl: 'https://x.example/scim/v2', host: 'x.example', path: '/scim/v2' };

  it('lists miniOrange first, then the others the issue names, and a custom client last', () => {
    expect(IDP_GUIDES.map((g) => g.id)).toEqual([
      'miniorange',
      'entra',
      'okta',
      'onelogin',
      'google',
      'keycloak',
      'jumpcloud',
      'oracle',
      'custom',
    ]);
    for (const guide of IDP_GUIDES) {
      expect(guide.steps.length).toBeGreaterThan(0);
      expect(guide.fields.some((f) => 'from' in f.value && f.value.from !== 'token')).toBe(true);
    }
  });

  it("fills in the installation's values under each IdP's own field names, never a token", () => {
    expect(guideFields(findGuide('miniorange'), values)).toEqual([
      { field: 'Application Name', value: 'Atlassian (SCIM)' },
      { field: 'SCIM Base URL', value: values.baseUrl },
      { field: 'SCIM Bearer Token', value: TOKEN_PLACEHOLDER },
    ]);
    expect(guideFields(findGuide('entra'), values).map((f) => f.field)).toEqual([
      'Tenant URL',
      'Secret Token',
    ]);
    expect(guideFields(findGuide('oracle'), values)).toEqual(
      expect.arrayContaining([
        { field: 'Host Name', value: 'x.example' },
        { field: 'Base URI', value: '/scim/v2' },
      ]),
    );
    expect(findGuide('nonsense').id).toBe('miniorange');
  });
});

describe('the log filters', () => {
  it('asks for one page, with only the filters set', () => {
    expect(logQuery(NO_FILTERS, 1_000_000)).toEqual({ limit: PAGE_SIZE });
    expect(logQuery({ status: 'failed', resource: ' u1 ', range: 'hour' }, 10_000_000, 'c')).toEqual({
      limit: PAGE_SIZE,
      status: 'failed',
      resource: 'u1',
      since: 10_000_000 - 3600_000,
      cursor: 'c',
    });
  });

  it('offers every status the log has', () => {
    expect([...STATUSES].sort()).toEqual([...LOG_STATUSES].sort());
  });
});

describe('display helpers', () => {
  it('formats times in UTC, and ages in words', () => {
    const at = Date.UTC(2026, 11, 2, 15, 4, 30);
    expect(formatTime(at)).toBe('2026-12-02 15:04 UTC');
    expect(formatAgo(at, at + 20_000)).toBe('just now');
    expect(formatAgo(at, at + 60_000)).toBe('1 minute ago');
    expect(formatAgo(at, at + 3 * 3600_000)).toBe('3 hours ago');
    expect(formatAgo(at, at + 3 * 24 * 3600_000)).toBe('3 days ago');
    expect(formatWhen(undefined, at, 'none yet')).toBe('none yet');
    expect(formatWhen(at, at + 120_000)).toBe('2 minutes ago (2026-12-02 15:04 UTC)');
    // The last request is recorded every 5 minutes at most: no false precision below that.
    expect(formatLastRequest(undefined, at)).toBe('none yet');
    expect(formatLastRequest(at, at + 120_000)).toBe('in the last 5 minutes (2026-12-02 15:04 UTC)');
    expect(formatLastRequest(at, at + 3600_000)).toBe('1 hour ago (2026-12-02 15:04 UTC)');
    expect(formatCount(12)).toBe('12');
    expect(formatCount(500, true)).toBe('500+');
  });

  it("keeps the resolver's reason from a failed call", () => {
    expect(
      describeFailure(new Error('There was an error invoking the function - Only admins may do this.')),
    ).toBe('Only admins may do this.');
    expect(describeFailure('plain')).toBe('plain');
    expect(describeFailure(new Error(''))).toBe('Unknown error');
  });

  it('advises on each way a connection test fails', () => {
    for (const kind of [
      'not-configured',
      'forbidden',
      'not-found',
      'invalid',
      'transient',
      'unsupported',
      'other',
    ]) {
      expect(connectionTestAdvice(kind).length).toBeGreaterThan(20);
    }
    expect(connectionTestAdvice('forbidden')).toMatch(/organization admin/);
    expect(connectionTestAdvice('forbidden', 'site')).toMatch(/site admin/);
    expect(connectionTestAdvice('not-configured', 'site')).toMatch(/site URL/);
  });
});

describe('section helpers', () => {
  const entry: LogEntry = {
    id: 'k1',
    at: Date.UTC(2026, 11, 2, 9, 30),
    source: 'atlassian',
    operation: 'invite',
    status: 'failed',
    resource: 'u1',
    resourceType: 'user',
    errorKind: 'transient',
    error: '429 Too Many Requests',
    attempts: 2,
  };

  it('offers Retry for a user or group whose change failed, is blocked or waits, and nothing else', () => {
    expect(canRetry(entry)).toBe(true);
    expect(canRetry({ ...entry, status: 'blocked' })).toBe(true);
    expect(canRetry({ ...entry, status: 'attention' })).toBe(true);
    expect(canRetry({ ...entry, status: 'ok' })).toBe(false);
    expect(canRetry({ ...entry, source: 'scim', operation: 'POST /Users' })).toBe(false);
    expect(canRetry({ ...entry, resource: '-', resourceType: undefined })).toBe(false);
  });

  it('details an entry with only the fields it recorded', () => {
    expect(entryDetails(entry)).toEqual([
      ['When', '2026-12-02 09:30 UTC'],
      ['Status', 'failed'],
      ['Source', 'atlassian'],
      ['Operation', 'invite'],
      ['Resource', 'user u1'],
      ['Attempts', '2'],
      ['Error kind', 'transient'],
      ['Error', '429 Too Many Requests'],
    ]);
  });

  it('measures reconcile progress over users and groups together', () => {
    const progress: ReconcileProgress = {
      state: 'running',
      users: { done: 3, total: 6 },
      groups: { done: 1, total: 2 },
      changes: 0,
      reported: 0,
      failed: 0,
    };
    expect(progressFraction(progress)).toBe(0.5);
    expect(
      progressFraction({ ...progress, users: { done: 0, total: 0 }, groups: { done: 0, total: 0 } }),
    ).toBe(0);
    expect(progressFraction({ ...progress, state: 'done' })).toBe(1);
    expect(describeProgress({ ...progress, dryRun: true, startedAt: Date.UTC(2026, 11, 2, 9, 0) })).toBe(
      'Dry run running since 2026-12-02 09:00 UTC: 3 of 6 users and 1 of 2 groups checked; 0 changes planned, 0 reported, 0 failed.',
    );
    expect(describeProgress({ ...progress, state: 'done', trigger: 'schedule' })).toMatch(
      /^Last reconcile \(scheduled\) finished: .* 0 changes made/,
    );
  });

  it("saves only the chosen mode's fields, and keeps the stored credential when none is typed", () => {
    const fields = {
      mode: 'org' as const,
      orgId: ' org-1 ',
      directoryId: '',
      baseUrl: '',
      apiKey: '',
      siteUrl: 'https://x.atlassian.net',
      email: 'a@x.com',
      apiToken: 'tok',
      expiresOn: '2027-01-31',
    };
    expect(connectionInput(fields)).toEqual({ mode: 'org', orgId: 'org-1', expiresOn: '2027-01-31' });
    expect(connectionInput({ ...fields, mode: 'site', expiresOn: '' })).toEqual({
      mode: 'site',
      siteUrl: 'https://x.atlassian.net',
      email: 'a@x.com',
      apiToken: 'tok',
      expiresOn: '',
    });
  });
});
