import { createTestApp, filter } from '../support/harness';

describe('a first lifecycle through the web trigger handler', () => {
  it('creates, finds, patches, groups and deletes a user', async () => {
    const t = createTestApp();
    const created = await t.request('POST', '/Users', {
      body: {
        userName: 'Alice@Example.com',
        active: true,
        emails: [{ value: 'alice@example.com', type: 'work' }],
      },
    });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(created.body.meta.location);
    const id = created.body.id;

    const found = await t.request('GET', `/Users?${filter('userName eq "alice@example.COM"')}`);
    expect(found.body.totalResults).toBe(1);

    const patched = await t.request('PATCH', `/Users/${id}`, {
      body: { Operations: [{ op: 'Replace', path: 'active', value: 'False' }] },
    });
    expect(patched.status).toBe(204);
    expect((await t.request('GET', `/Users/${id}`)).body.active).toBe(false);

    const group = await t.request('POST', '/Groups', {
      body: { displayName: 'Engineering', members: [{ value: id }] },
    });
    expect(group.status).toBe(201);
    expect(group.body.members).toEqual([expect.objectContaining({ value: id })]);

    expect((await t.request('DELETE', `/Users/${id}`)).status).toBe(204);
    expect((await t.request('GET', `/Users/${id}`)).status).toBe(404);
    expect((await t.request('GET', `/Groups/${group.body.id}`)).body.members).toEqual([]);
  });
});
