/**
 * The embedded organization's POST search cursors where the reference is silent: whether a
 * users/groups search cursor carries the filters is drawn per cursor (seeded). A cursor that
 * carries only the position answers from the filters sent with it; without them it lists
 * unfiltered or is refused. Sending the filters again is right in every case.
 */
import { EmbeddedOrganization } from '../../src/local/embedded-org';
import { client } from './helpers';

async function setUp(seed: number) {
  const org = new EmbeddedOrganization({ faults: { seed: 1 }, pagingSeed: seed });
  const api = client(org);
  for (const name of ['members', 'others']) {
    expect((await api.call('POST', `${api.d}/groups`, { name })).status).toBe(201);
  }
  const members = (await api.groupOf('members')) as string;
  const others = (await api.groupOf('others')) as string;
  for (const [prefix, group] of [
    ['m', members],
    ['o', others],
  ]) {
    const emails = Array.from({ length: 6 }, (_, i) => `${prefix}${i}@example.org`);
    expect(
      (await api.call('POST', `${api.o}/users/invite`, { emails, additionalGroups: [group] })).status,
    ).toBe(200);
  }
  return { org, api, members };
}

describe('POST search cursors that may or may not carry the filters', () => {
  it('answers a cursor alone filtered, unfiltered or 400 by draw; with the filters, always filtered', async () => {
    const outcomes = new Set<string>();
    for (let seed = 1; seed <= 12; seed++) {
      const { org, api, members } = await setUp(seed);
      const filter = { groupIds: [members], limit: 2 };
      const first = await api.call('POST', `${api.d}/users/search`, filter);
      const cursor = first.body.links.next as string;
      const expected = new Set(org.membersOf(members));

      const alone = await api.call('POST', `${api.d}/users/search`, { cursor });
      if (alone.status === 400) {
        expect(alone.body.errors[0].code).toBe('ADMIN-400-1');
        outcomes.add('refused');
      } else {
        expect(alone.status).toBe(200);
        const ids: string[] = alone.body.data.map((u: { accountId: string }) => u.accountId);
        outcomes.add(ids.every((id) => expected.has(id)) ? 'filtered' : 'unfiltered');
      }

      // The whole listing, sending the filters again with each cursor: only members, all of them.
      const seen: string[] = first.body.data.map((u: { accountId: string }) => u.accountId);
      let next: string | null = cursor;
      while (next) {
        const page = await api.call('POST', `${api.d}/users/search`, { ...filter, cursor: next });
        expect(page.status).toBe(200);
        seen.push(...page.body.data.map((u: { accountId: string }) => u.accountId));
        next = page.body.links.next;
      }
      expect(seen.sort()).toEqual([...expected].sort());
      org.close();
    }
    expect(outcomes).toEqual(new Set(['filtered', 'unfiltered', 'refused']));
  });

  it('groups search cursors vary too, and an unfiltered search pages with its cursor alone', async () => {
    const outcomes = new Set<number>();
    for (let seed = 1; seed <= 12; seed++) {
      const { org, api } = await setUp(seed);
      const first = await api.call('POST', `${api.d}/groups/search`, { searchTerm: 'e', limit: 1 });
      const alone = await api.call('POST', `${api.d}/groups/search`, { cursor: first.body.links.next });
      outcomes.add(alone.status);
      const all = await api.call('POST', `${api.d}/groups/search`, { limit: 1 });
      const rest = await api.call('POST', `${api.d}/groups/search`, { cursor: all.body.links.next });
      expect(rest.status).toBe(200);
      org.close();
    }
    expect(outcomes).toEqual(new Set([200, 400]));
  });
});
