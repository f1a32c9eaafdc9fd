/**
 * The user policies converge under faults: with one Atlassian request in five failing (429,
 * 5xx, timeouts with and without the write applied), an Entra lifecycle with new-user grants,
 * product-access removal and a seat cap ends in the same organization, one invite per user,
 * and the seat counter right.
 */
import { SEED_ACCOUNTS } from '../../src/local/embedded-org';
import { createGroup, createWorld, readOrg } from './support';
import {
  entraCreate,
  entraDelete,
  entraSetActive,
  plainGroup,
  policiesWith,
  productGroup,
} from './user-policies-support';

describe.each([11, 23, 47])('under a 20%% fault rate (seed %i)', (seed) => {
  it('converges: grants, product access removed and given back, seats counted once', async () => {
    const world = createWorld({
      policies: policiesWith({
        deactivation: { action: 'remove-product-access', restoreMemberships: true },
        newUsers: { defaultGroups: ['All Staff'], productAccess: [{ product: 'confluence' }] },
        seatCap: { limit: 3 },
      }),
    });
    await plainGroup(world, 'All Staff');
    await productGroup(world, 'confluence-users', 'confluence');
    world.org.faults.configure({ rate: 0.2, seed });

    const ids: string[] = [];
    for (const name of ['amy', 'ben', 'cat', 'dev'])
      ids.push(await entraCreate(world, `${name}@example.com`));
    const admin = await entraCreate(world, SEED_ACCOUNTS.admin);
    await createGroup(world, 'Engineering', [...ids, admin]);
    await world.settle();
    const seated = async () => {
      const org = await readOrg(world.org);
      return ['amy', 'ben', 'cat', 'dev'].filter(
        (n) => org.users.get(`${n}@example.com`)?.status === 'active',
      );
    };
    expect(await seated()).toHaveLength(3);

    // One of the seated ones is deactivated: the fourth gets its seat.
    const first = (await seated())[0];
    const firstId = ids[['amy', 'ben', 'cat', 'dev'].indexOf(first)];
    await entraSetActive(world, firstId, false);
    await world.settle();
    let org = await readOrg(world.org);
    expect(org.users.get(`${first}@example.com`)).toMatchObject({
      status: 'active',
      groups: ['All Staff', 'Engineering'],
    });
    expect(await seated()).toHaveLength(4);
    expect(await world.app.sync.links.state('seats')).toEqual({ used: 3, waiting: 0 });

    // Another leaves; the first comes back with its product access.
    await entraDelete(
      world,
      ids[['amy', 'ben', 'cat', 'dev'].indexOf((await seated()).find((n) => n !== first) as string)],
    );
    await entraSetActive(world, firstId, true);
    await world.settle();
    org = await readOrg(world.org);
    expect(org.users.get(`${first}@example.com`)?.groups).toEqual([
      'All Staff',
      'Engineering',
      'confluence-users',
    ]);
    expect(await world.app.sync.links.state('seats')).toEqual({ used: 3, waiting: 0 });
    // The admin was never touched, and every user has one account (three were there before).
    expect(org.users.get(SEED_ACCOUNTS.admin)?.groups).toEqual(['org-admins', 'site-admins']);
    expect(org.users.size).toBe(3 + 4);
  });
});
