/**
 * One consumer run's batched account look-ups. Before the run reconciles a batch of user jobs
 * (src/sync/queue.ts, runPending's `prepare`), it asks Atlassian in one request per 100 what
 * their turns would each ask on their own: the accounts of the linked users
 * (`users/search {accountIds}`) and the accounts with the unlinked users' e-mails
 * (`users/search {emails}`), both documented filters of the Organizations API's users search
 * (https://developer.atlassian.com/cloud/admin/organization/rest/api-group-users/). A user's
 * turn then takes its account from here instead of its own getAccount / findAccountByEmail.
 *
 * Only when the answer is fresh for that turn: read in this run, and sent after the job's
 * change was written (`markedAt`, the job's due time), so a turn never acts on a state older
 * than the change that queued it. Each answer is taken once: a second SCIM user with the
 * same e-mail, or the same user re-marked, asks on its own. Anything not here (a port without
 * the batch methods, a failed or skipped look-up, an e-mail changed since) means the turn
 * makes its own call, exactly as without a prefetch.
 *
 * A small object per run (built in src/sync/service.ts): no state outlives the run.
 */
import { AtlassianAccount, AtlassianError, AtlassianPort } from '../atlassian/port';
import { Budget, BudgetExhausted } from './atlassian-calls';

/** What a batch's turns will ask: account ids of linked users, e-mails of the others. */
export interface PrefetchWanted {
  accountIds: Iterable<string>;
  emails: Iterable<string>;
}

/** A look-up's answer: the account, or none (searched, and Atlassian has no such account). */
export interface Prefetched {
  account: AtlassianAccount | undefined;
}

/** Look-ups answered by one request (the users search's page size, UNCONFIRMED maximum). */
export const PREFETCH_BATCH = 100;

interface Answer {
  account: AtlassianAccount | undefined;
  /** When the request was sent (the run's clock). */
  at: number;
}

export class AccountPrefetch {
  private byId = new Map<string, Answer>();
  private byEmail = new Map<string, Answer>();

  constructor(
    private readonly port: AtlassianPort,
    private readonly now: () => number,
  ) {}

  /** Whether the port reads accounts in batches at all (the site-admin mode's does not). */
  get batches(): boolean {
    return this.port.getAccounts !== undefined || this.port.findAccountsByEmail !== undefined;
  }

  /**
   * Reads the accounts a batch's turns will ask for, replacing what the previous batch read
   * (so what is kept is bounded by a batch). Spends one call of the run's budget per request;
   * a look-up that fails, or finds the budget or the invocation's egress spent, is simply not
   * kept: each turn then asks on its own (and logs what fails then).
   */
  async load(wanted: PrefetchWanted, budget: Budget): Promise<void> {
    this.byId = new Map();
    this.byEmail = new Map();
    const ids = [...new Set(wanted.accountIds)];
    const emails = [...new Set([...wanted.emails].map((e) => e.toLowerCase()))];
    const { getAccounts, findAccountsByEmail } = this.port;
    if (getAccounts) {
      await this.inBatches(ids, budget, async (chunk, at) => {
        const found = new Map((await getAccounts.call(this.port, chunk)).map((a) => [a.accountId, a]));
        for (const id of chunk) this.byId.set(id, { account: found.get(id), at });
      });
    }
    if (findAccountsByEmail) {
      await this.inBatches(emails, budget, async (chunk, at) => {
        const found = new Map(
          (await findAccountsByEmail.call(this.port, chunk)).map((a) => [a.email.toLowerCase(), a]),
        );
        for (const email of chunk) this.byEmail.set(email, { account: found.get(email), at });
      });
    }
  }

  /** The account with this id, if read after `markedAt`; taken once. */
  account(accountId: string, markedAt: number | undefined): Prefetched | undefined {
    return this.take(this.byId, accountId, markedAt);
  }

  /** The account with this e-mail (case-insensitive), if read after `markedAt`; taken once. */
  accountByEmail(email: string, markedAt: number | undefined): Prefetched | undefined {
    return this.take(this.byEmail, email.toLowerCase(), markedAt);
  }

  private take(
    answers: Map<string, Answer>,
    key: string,
    markedAt: number | undefined,
  ): Prefetched | undefined {
    const answer = answers.get(key);
    answers.delete(key);
    if (!answer || markedAt === undefined || answer.at < markedAt) return undefined;
    return { account: answer.account };
  }

  private async inBatches(
    values: string[],
    budget: Budget,
    read: (chunk: string[], at: number) => Promise<void>,
  ): Promise<void> {
    for (let i = 0; i < values.length; i += PREFETCH_BATCH) {
      try {
        budget.take();
        await read(values.slice(i, i + PREFETCH_BATCH), this.now());
      } catch (error) {
        if (error instanceof BudgetExhausted) return;
        if (!(error instanceof AtlassianError)) throw error;
        // Out of egress or time: nothing more this run. Any other failure: each turn asks itself.
        if (error.code === 'EGRESS_BUDGET' || error.code === 'DEADLINE') return;
      }
    }
  }
}
