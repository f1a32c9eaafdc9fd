/**
 * Reads as the app and 429s (issue 14, item 5): a rate-limited read as the app waits as the
 * shared HTTP client does (Retry-After, else backoff) and is sent again as the app, within the
 * deadline; the credential answers only when the app truly cannot read (refused, or retries
 * used up), and one 429 never moves the rest of the invocation onto the credential.
 */
import {
  appReadsClient,
  AppReadsPort,
  ProductFetch,
  SITE_MODE_APP_READS,
} from '../../src/atlassian/app-reads';
import { EmbeddedOrganization, SEED_ACCOUNTS } from '../../src/local/embedded-org';
import type { OrgRequest } from '../../src/local/embedded-org/types';
import { appProductFetch, FAST, siteAdapterFor } from '../site-mode/support';

const asApp = (request: OrgRequest) => request.caller?.kind === 'app';

function setup(options: { deadline?: number; scopes?: string[] } = {}) {
  const org = new EmbeddedOrganization();
  const slept: number[] = [];
  const clock = { now: () => Date.now(), sleep: async (ms: number) => void slept.push(ms) };
  const told: string[] = [];
  const fetch = appProductFetch(org);
  const port = new AppReadsPort(
    siteAdapterFor(org),
    appReadsClient(fetch, {
      ...FAST,
      clock,
      ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
    }),
    SITE_MODE_APP_READS,
    (why) => told.push(why),
  );
  const ada = org.findUserByEmail(SEED_ACCOUNTS.existing)?.accountId as string;
  const siteCalls = () => org.calls.filter((c) => c.path.startsWith('/site/'));
  return { org, port, slept, told, ada, siteCalls };
}

describe('reads as the app under a rate limit', () => {
  it('one 429 to the app: waits Retry-After, reads again as the app, and stays with the app', async () => {
    const { org, port, slept, told, ada, siteCalls } = setup();
    org.faults.configure({ retryAfterSeconds: 2 });
    org.faults.failNext('429', asApp);
    const groups = await port.groupsOf(ada);
    expect(Array.isArray(groups)).toBe(true);
    expect(slept).toEqual([2000]);
    expect(port.stats).toEqual({ app: 1, fallback: 0 });
    expect(port.appReadsUnavailable).toBe(false);
    expect(told).toEqual([]);
    // Every site call so far was the app's: the 429, then the answered retry.
    expect(siteCalls().map((c) => [c.as, c.status])).toEqual([
      ['app', 429],
      ['app', 200],
    ]);
    // A later read of the same invocation is the app's too.
    await port.getAccount(ada);
    expect(port.stats).toEqual({ app: 2, fallback: 0 });
    expect(siteCalls().every((c) => c.as === 'app')).toBe(true);
  });

  it('a 429 whose wait does not fit the deadline falls back for that read only', async () => {
    const { org, port, told, ada, siteCalls } = setup({ deadline: Date.now() + 1_000 });
    org.faults.configure({ retryAfterSeconds: 5 });
    org.faults.failNext('429', asApp);
    await port.groupsOf(ada);
    expect(port.stats).toEqual({ app: 0, fallback: 1 });
    expect(siteCalls().map((c) => c.as)).toEqual(['app', 'basic']);
    expect(port.appReadsUnavailable).toBe(false);
    expect(told).toEqual([]);
  });

  it('retries used up: that read falls back; three in a row turn the app reads off', async () => {
    const { org, port, told, ada } = setup();
    org.faults.configure({ retryAfterSeconds: 0 });
    for (let i = 0; i < 4; i++) org.faults.failNext('429', asApp);
    await port.groupsOf(ada);
    expect(port.stats).toEqual({ app: 0, fallback: 1 });
    expect(port.appReadsUnavailable).toBe(false);
    await port.groupsOf(ada);
    expect(port.stats).toEqual({ app: 1, fallback: 1 });
    for (let i = 0; i < 12; i++) org.faults.failNext('429', asApp);
    for (let i = 0; i < 3; i++) await port.groupsOf(ada);
    expect(port.appReadsUnavailable).toBe(true);
    expect(told).toHaveLength(1);
  });

  it('a refusal (scope missing) turns the app reads off at once, without retrying it', async () => {
    const { org, told, ada } = setup();
    let appAttempts = 0;
    // What Forge's proxy answers an app without the read's scopes.
    const refused: ProductFetch = async () => {
      appAttempts++;
      return new Response('{"code":401,"message":"Unauthorized; scope does not match"}', { status: 401 });
    };
    const refusing = new AppReadsPort(
      siteAdapterFor(org),
      appReadsClient(refused, FAST),
      SITE_MODE_APP_READS,
      (why) => told.push(why),
    );
    expect(Array.isArray(await refusing.groupsOf(ada))).toBe(true);
    expect(await refusing.getAccount(ada)).toBeDefined();
    expect(refusing.appReadsUnavailable).toBe(true);
    expect(refusing.stats).toEqual({ app: 0, fallback: 1 });
    expect(appAttempts).toBe(1);
    expect(told).toHaveLength(1);
  });
});
