/**
 * The steady-state phase of the provisioning benchmark (issue 15): once the first sync has
 * converged, an identity provider sends the day-to-day changes of a company, and the worker
 * applies them. 100 mixed SCIM changes in two waves (the worker converges after each, as it
 * would between an identity provider's sync cycles, so the second wave can reactivate whom
 * the first deactivated):
 *
 * - deactivations (`active: false`) and reactivations of users deactivated earlier;
 * - membership moves: removed from one group and added to another (two changes);
 * - new users joining two groups (POST /Users, then a member add to each: three changes);
 * - profile changes (a new job title).
 *
 * Requests are counted at the adapter's fetch, as in the provisioning phase; the phase passes
 * when it makes at most 1.5 Atlassian requests per change and the organization then holds
 * exactly what the directory says. Called from test/bench/provisioning.ts after convergence.
 */
import {
  activePatch,
  addMemberPatch,
  groupName,
  PATCH_OP_SCHEMA,
  Random,
  removeMemberPatch,
  userBody,
} from './data';
import type { HttpRecord, OrgSnapshot } from './provisioning';
import type { TargetLine } from './report';

export interface SteadyStateWorld {
  /** A SCIM request through the app's web trigger handler, which must answer `expect`. */
  scim(method: string, path: string, body: unknown, expect: number): Promise<{ id: string } | undefined>;
  /** The worker, as the consumer runs it, until no job is left. */
  workUntilIdle(): Promise<{ converged: boolean }>;
  /** Every Atlassian request so far (appended to as the worker runs). */
  records: readonly Pick<HttpRecord, 'label' | 'write' | 'status'>[];
  /** What the organization holds that the directory does not say (empty: exact). */
  differences(): Promise<string[]>;
  /** What the organization must hold: this phase changes it as it pushes. */
  desired: OrgSnapshot;
  /** The users pushed so far, by number: SCIM ids and (lower-case) e-mails. */
  users: { ids: string[]; emails: string[] };
  /** The groups, by number: SCIM ids and their members' user numbers. */
  groups: { ids: string[]; members: number[][] };
}

/** One wave of changes: how many of each kind. */
interface Wave {
  deactivations: number;
  reactivations: number;
  moves: number;
  newUsers: number;
  profiles: number;
}

/** 100 changes: 13 deactivations, 5 reactivations, 27 moves (54), 8 new users (24), 4 profiles. */
const WAVES: Wave[] = [
  { deactivations: 8, reactivations: 0, moves: 15, newUsers: 4, profiles: 0 },
  { deactivations: 5, reactivations: 5, moves: 12, newUsers: 4, profiles: 4 },
];
/** Groups a new user joins. */
const NEW_USER_GROUPS = 2;
export const STEADY_STATE_TARGET = 1.5;

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Pushes the changes, lets the worker converge after each wave, prints the figures. */
export async function runSteadyState(world: SteadyStateWorld): Promise<TargetLine[]> {
  process.stderr.write('Steady state: 100 mixed changes…\n');
  const random = new Random(20261207);
  const push = new ChangePusher(world, random);
  const from = world.records.length;
  let converged = true;
  for (const wave of WAVES) {
    await push.wave(wave);
    converged = (await world.workUntilIdle()).converged && converged;
  }
  const problems = await world.differences();
  const exact = converged && problems.length === 0;

  const phase = world.records.slice(from);
  const limited = phase.filter((r) => r.status === 429).length;
  const processed = phase.filter((r) => r.status !== 429);
  const writes = processed.filter((r) => r.write).length;
  const changes = push.changes;
  const perChange = processed.length / changes;
  const byLabel = new Map<string, { write: boolean; count: number }>();
  for (const r of processed) {
    const entry = byLabel.get(r.label) ?? { write: r.write, count: 0 };
    entry.count++;
    byLabel.set(r.label, entry);
  }
  const rows = [...byLabel.entries()].sort((a, b) => b[1].count - a[1].count);
  const width = Math.max(...rows.map(([label]) => label.length), 28);
  console.log(
    `Steady state: ${fmt(changes)} changes (${push.describe()}), pushed in ${WAVES.length} waves, ` +
      `the worker converging after each\n`,
  );
  console.log(`${'Atlassian request'.padEnd(width)}  kind   count  per change`);
  console.log('-'.repeat(width + 27));
  for (const [label, { write, count }] of rows) {
    console.log(
      `${label.padEnd(width)}  ${write ? 'write' : 'read '}  ${fmt(count).padStart(6)}  ` +
        `${fmt(count / changes, 3).padStart(10)}`,
    );
  }
  console.log(
    `${'answered 429 (not processed)'.padEnd(width)}  -      ${fmt(limited).padStart(6)}  ` +
      `${fmt(limited / changes, 3).padStart(10)}`,
  );
  console.log(
    `steady state: ${fmt(processed.length)} requests (${fmt(writes)} writes) for ${fmt(changes)} changes; ` +
      `converged ${exact ? 'exactly' : converged ? 'with differences' : 'NO'}\n`,
  );
  for (const problem of problems) console.log(`  differs: ${problem}`);
  return [
    {
      pass: perChange <= STEADY_STATE_TARGET,
      text: `steady state: Atlassian requests per SCIM change ≤ ${STEADY_STATE_TARGET}: ${fmt(processed.length)} / ${fmt(changes)} = ${fmt(perChange, 3)}`,
    },
    {
      pass: exact,
      text: `steady state converged exactly (no job left, the organization as the directory says): ${exact ? 'yes' : (problems[0] ?? 'jobs left')}`,
    },
  ];
}

/** Pushes changes through SCIM as an identity provider would, keeping `desired` in step. */
class ChangePusher {
  changes = 0;
  private readonly counts = new Map<string, number>();
  /** Users deactivated by this phase, for the reactivations. */
  private readonly deactivated: number[] = [];
  private readonly inactive = new Set<number>();

  constructor(
    private readonly world: SteadyStateWorld,
    private readonly random: Random,
  ) {}

  describe(): string {
    return [...this.counts.entries()].map(([kind, n]) => `${n} ${kind}`).join(', ');
  }

  async wave(wave: Wave): Promise<void> {
    for (let i = 0; i < wave.deactivations; i++) await this.deactivate();
    for (let i = 0; i < wave.reactivations; i++) await this.reactivate();
    // New hires first: where every group holds every user (--quick), only they can move.
    for (let i = 0; i < wave.newUsers; i++) await this.newUser();
    for (let i = 0; i < wave.moves; i++) await this.move();
    for (let i = 0; i < wave.profiles; i++) await this.profile();
  }

  private count(kind: string, changes: number): void {
    this.changes += changes;
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }

  /** An active user, drawn at random. */
  private activeUser(): number {
    for (;;) {
      const n = this.random.below(this.world.users.ids.length);
      if (!this.inactive.has(n)) return n;
    }
  }

  private async deactivate(): Promise<void> {
    const n = this.activeUser();
    await this.world.scim('PATCH', `/Users/${this.world.users.ids[n]}`, activePatch(false), 204);
    this.inactive.add(n);
    this.deactivated.push(n);
    this.world.desired.accounts.set(this.world.users.emails[n], 'suspended');
    this.count('deactivations', 1);
  }

  private async reactivate(): Promise<void> {
    const n = this.deactivated.shift();
    if (n === undefined) throw new Error('nobody to reactivate: deactivate in an earlier wave');
    await this.world.scim('PATCH', `/Users/${this.world.users.ids[n]}`, activePatch(true), 204);
    this.inactive.delete(n);
    this.world.desired.accounts.set(this.world.users.emails[n], 'active');
    this.count('reactivations', 1);
  }

  /** An active member leaves one group and joins another it is not in. */
  private async move(): Promise<void> {
    const { groups } = this.world;
    for (let draws = 0; ; draws++) {
      if (draws > 10_000) throw new Error('no member can move: every group holds every active user');
      const from = this.random.below(groups.ids.length);
      const to = this.random.below(groups.ids.length);
      const candidates = groups.members[from].filter(
        (n) => !this.inactive.has(n) && !groups.members[to].includes(n),
      );
      if (from === to || candidates.length === 0) continue;
      const n = candidates[this.random.below(candidates.length)];
      await this.world.scim(
        'PATCH',
        `/Groups/${groups.ids[from]}`,
        removeMemberPatch(this.world.users.ids[n]),
        204,
      );
      await this.join(to, n);
      groups.members[from] = groups.members[from].filter((m) => m !== n);
      this.setMembers(from);
      this.count('moves', 2);
      return;
    }
  }

  /** A new hire: the user, then a member add to each of its groups. */
  private async newUser(): Promise<void> {
    const n = this.world.users.ids.length;
    const body = userBody(n);
    const created = await this.world.scim('POST', '/Users', body, 201);
    this.world.users.ids.push(created!.id);
    const email = (body.emails as { value: string }[])[0].value.toLowerCase();
    this.world.users.emails.push(email);
    this.world.desired.accounts.set(email, 'active');
    const joined = new Set<number>();
    while (joined.size < NEW_USER_GROUPS) joined.add(this.random.below(this.world.groups.ids.length));
    for (const g of joined) await this.join(g, n);
    this.count('new users', 1 + NEW_USER_GROUPS);
  }

  /** A new job title: nothing the organization snapshot shows, but a change the worker sees. */
  private async profile(): Promise<void> {
    const n = this.activeUser();
    const patch = {
      schemas: [PATCH_OP_SCHEMA],
      Operations: [{ op: 'replace', path: 'title', value: `Senior Engineer ${this.changes}` }],
    };
    await this.world.scim('PATCH', `/Users/${this.world.users.ids[n]}`, patch, 204);
    this.count('profile changes', 1);
  }

  private async join(group: number, n: number): Promise<void> {
    const { groups, users } = this.world;
    await this.world.scim(
      'PATCH',
      `/Groups/${groups.ids[group]}`,
      addMemberPatch(users.ids[n], users.emails[n]),
      204,
    );
    groups.members[group] = [...groups.members[group], n];
    this.setMembers(group);
  }

  private setMembers(group: number): void {
    const emails = this.world.groups.members[group].map((n) => this.world.users.emails[n]).sort();
    this.world.desired.groups.set(groupName(group), emails);
  }
}
