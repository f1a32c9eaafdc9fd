/**
 * The group-name policies as one pure function: the map first and exactly, else the rewrite
 * then the prefix; names Atlassian would refuse come back as refusals with the reason.
 */
import { atlassianGroupName, MAX_GROUP_NAME } from '../../src/policies/group-names';
import { DEFAULT_POLICIES, Policies } from '../../src/policies/policies';

const groups = (patch: Partial<Policies['groups']>): Policies['groups'] => ({
  ...DEFAULT_POLICIES.groups,
  ...patch,
});

describe('atlassianGroupName', () => {
  it('keeps the name as it is under the default policies', () => {
    expect(atlassianGroupName('Engineering', DEFAULT_POLICIES.groups)).toEqual({
      ok: true,
      name: 'Engineering',
    });
  });

  it('applies the map first and exactly, without rewrite or prefix', () => {
    const policy = groups({
      nameMap: { 'All Sales': 'sales-team' },
      rewrite: { pattern: 'Sales', replacement: 'Revenue' },
      prefix: 'idp-',
    });
    expect(atlassianGroupName('All Sales', policy)).toEqual({ ok: true, name: 'sales-team' });
    // Exact: another case is not the mapped name, so it is rewritten and prefixed.
    expect(atlassianGroupName('all sales', policy)).toEqual({ ok: true, name: 'idp-all sales' });
    expect(atlassianGroupName('All Sales EU', policy)).toEqual({ ok: true, name: 'idp-All Revenue EU' });
  });

  it('rewrites with the flags given, then prefixes', () => {
    const policy = groups({ rewrite: { pattern: '^sg[-_ ]', replacement: '', flags: 'i' }, prefix: 'idp-' });
    expect(atlassianGroupName('SG-Engineering', policy)).toEqual({ ok: true, name: 'idp-Engineering' });
    expect(atlassianGroupName('sg_ops', policy)).toEqual({ ok: true, name: 'idp-ops' });
    const global = groups({ rewrite: { pattern: '\\s+', replacement: '-', flags: 'g' } });
    expect(atlassianGroupName('Data  Platform Team', global)).toEqual({
      ok: true,
      name: 'Data-Platform-Team',
    });
    const capture = groups({ rewrite: { pattern: '^(\\w+)@(\\w+)$', replacement: '$2-$1' } });
    expect(atlassianGroupName('ops@emea', capture)).toEqual({ ok: true, name: 'emea-ops' });
  });

  it('refuses a name that is empty after the rewrite, or longer than Atlassian allows', () => {
    const empty = atlassianGroupName('SG-', groups({ rewrite: { pattern: '^SG-', replacement: '' } }));
    expect(empty).toEqual({
      ok: false,
      reason: expect.stringContaining('empty after the group-name rewrite'),
    });
    const long = atlassianGroupName('x'.repeat(MAX_GROUP_NAME - 3), groups({ prefix: 'idp-' }));
    expect(long).toEqual({ ok: false, reason: expect.stringContaining(`at most ${MAX_GROUP_NAME}`) });
    expect(atlassianGroupName('x'.repeat(MAX_GROUP_NAME - 4), groups({ prefix: 'idp-' })).ok).toBe(true);
    const mappedEmpty = atlassianGroupName('Old', groups({ nameMap: { Old: '  ' } }));
    expect(mappedEmpty).toEqual({ ok: false, reason: expect.stringContaining('empty group name') });
  });

  it('refuses, with the reason, a rewrite that does not compile', () => {
    const result = atlassianGroupName('Ops', groups({ rewrite: { pattern: '(', replacement: '' } }));
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('is not valid') });
  });

  it('does not take names inherited by every object for mapped names', () => {
    expect(atlassianGroupName('constructor', groups({ prefix: 'p-' }))).toEqual({
      ok: true,
      name: 'p-constructor',
    });
  });
});
