/**
 * The provisioning policies as configuration: one plain kvs value (not a secret: nothing in it
 * is), written only after src/policies/validation.ts accepted it, read once per sync run.
 * The admin page saves through `savePolicies`; `npm start` applies POLICIES_FILE through the
 * same `applyPolicies`, recorded as coming from the file.
 */
import { kvs } from '@forge/kvs';
import { DEFAULT_POLICIES, Policies, PolicyProblem } from '../policies/policies';
import { mergePolicies, policyProblems, validatePolicies } from '../policies/validation';

const POLICIES_KEY = 'provisioning-policies';

export type PolicySource = 'admin' | 'file' | 'default';

interface StoredPolicies {
  policies: Policies;
  source: Exclude<PolicySource, 'default'>;
  savedAt: number;
  /** Who saved it (the admin's accountId); absent for the file. */
  savedBy?: string;
}

export type PolicySaveResult = { ok: true; policies: Policies } | { ok: false; problems: PolicyProblem[] };

/**
 * The policies in force and where they come from. A stored document is merged over the
 * defaults, so fields added to Policies after it was saved take their default. Should a
 * stored section no longer validate (a later version changed it), that section falls back
 * to its default and the function log says so; the rest stays in force.
 */
export async function readPolicies(): Promise<{ policies: Policies; source: PolicySource }> {
  const stored = await kvs.get<StoredPolicies>(POLICIES_KEY);
  if (!stored) return { policies: structuredClone(DEFAULT_POLICIES), source: 'default' };
  // Atlassian's rules only: the size bounds held when it was saved (or it predates them), and
  // refusing a section now would silently replace policies in force with defaults.
  const problems = policyProblems(stored.policies, { stored: true });
  let document: Partial<Policies> = stored.policies;
  if (problems.length > 0) {
    const broken = new Set(problems.map((p) => p.path.split(/[.[]/)[0]));
    console.error(
      'Stored policies no longer validate; these sections use their defaults',
      [...broken],
      problems,
    );
    document = Object.fromEntries(Object.entries(stored.policies).filter(([key]) => !broken.has(key)));
  }
  return { policies: mergePolicies(DEFAULT_POLICIES, document), source: stored.source };
}

/** What the sync reads once per run (SyncOptions.policies). */
export const policiesInForce = async (): Promise<Policies> => (await readPolicies()).policies;

/**
 * Validates a whole document (fields left out take their default) and stores it; refused
 * with every problem and nothing stored. The next sync run applies it.
 */
export async function applyPolicies(
  document: unknown,
  source: StoredPolicies['source'],
  savedBy?: string,
): Promise<PolicySaveResult> {
  const result = validatePolicies(document);
  if (!result.ok) return result;
  const stored: StoredPolicies = {
    policies: result.policies,
    source,
    savedAt: Date.now(),
    ...(savedBy ? { savedBy } : {}),
  };
  await kvs.set(POLICIES_KEY, stored);
  return { ok: true, policies: result.policies };
}
