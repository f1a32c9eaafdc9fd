/**
 * `npm start`'s policy file: POLICIES_FILE, or `$DATA_DIR/policies.json` when it exists. It
 * holds a policy document as the admin page's savePolicies sends it (JSON; fields left out
 * take their default), and is applied through the same validation and storage
 * (src/forge/policy-store.ts `applyPolicies`), recorded as coming from the file. An invalid
 * file stops the start: serving with policies other than the ones written would surprise.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PolicySaveResult } from '../forge/policy-store';
import { validatePolicies } from '../policies/validation';

export type ApplyPolicies = (document: unknown, source: 'file') => Promise<PolicySaveResult>;

export type PolicyFileOutcome =
  { kind: 'none' } | { kind: 'applied'; file: string } | { kind: 'invalid'; file: string; lines: string[] };

/** Which file to read: the one named, else the data directory's when there is one. */
export function policyFilePath(env: NodeJS.ProcessEnv, dataDir: string): string | undefined {
  if (env.POLICIES_FILE) return path.resolve(env.POLICIES_FILE);
  const inData = path.join(dataDir, 'policies.json');
  return fs.existsSync(inData) ? inData : undefined;
}

export type PolicyFileCheck =
  | { kind: 'none' }
  | { kind: 'valid'; file: string; document: unknown }
  | Extract<PolicyFileOutcome, { kind: 'invalid' }>;

/**
 * Reads and validates the file without storing anything: `npm start` checks it before it
 * writes to DATA_DIR, so an invalid file leaves DATA_DIR as it was.
 */
export function checkPolicyFile(file: string | undefined): PolicyFileCheck {
  if (!file) return { kind: 'none' };
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    return { kind: 'invalid', file, lines: [`cannot be read: ${(error as Error).message}`] };
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return { kind: 'invalid', file, lines: [`is not JSON: ${(error as Error).message}`] };
  }
  const result = validatePolicies(document);
  if (!result.ok)
    return { kind: 'invalid', file, lines: result.problems.map((p) => `${p.path}: ${p.reason}`) };
  return { kind: 'valid', file, document };
}

/** Checks the file, then stores it through `apply` (which validates again, as the resolver does). */
export async function applyPolicyFile(
  file: string | undefined,
  apply: ApplyPolicies,
): Promise<PolicyFileOutcome> {
  const checked = checkPolicyFile(file);
  if (checked.kind !== 'valid') return checked;
  const result = await apply(checked.document, 'file');
  if (result.ok) return { kind: 'applied', file: checked.file };
  return { kind: 'invalid', file: checked.file, lines: result.problems.map((p) => `${p.path}: ${p.reason}`) };
}
