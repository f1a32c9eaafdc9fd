/** The admin resolver's calls, typed by the contract in src/forge/admin-api.ts. */
import { makeInvoke } from '@forge/bridge';
import type { AdminApi } from '../forge/admin-api';

export const invoke = makeInvoke<AdminApi>();
