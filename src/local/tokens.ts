/**
 * The local runtime's bearer token: SCIM_BEARER_TOKEN when set; otherwise a generated one
 * whose hash is kept in DATA_DIR. The token itself is printed once and never stored.
 */
import fs from 'node:fs';
import path from 'node:path';
import { generateToken, hashToken, TokenHashSource } from '../scim/auth';

export interface LocalToken {
  source: TokenHashSource;
  /** The token to print, when it is known (fixed by the environment or just generated). */
  token?: string;
  origin: 'environment' | 'generated' | 'stored';
}

export function localToken(dataDir: string, fixed: string | undefined, rotate: boolean): LocalToken {
  if (fixed) {
    const hash = hashToken(fixed);
    return { source: { tokenHashes: async () => [hash] }, token: fixed, origin: 'environment' };
  }
  const file = path.join(dataDir, 'token.sha256');
  if (!rotate && fs.existsSync(file)) {
    const hash = fs.readFileSync(file, 'utf8').trim();
    return { source: { tokenHashes: async () => [hash] }, origin: 'stored' };
  }
  const token = generateToken();
  const hash = hashToken(token);
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(`${file}.tmp`, `${hash}\n`, { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
  return { source: { tokenHashes: async () => [hash] }, token, origin: 'generated' };
}
