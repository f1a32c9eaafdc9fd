/**
 * The embedded organization's User management API (https://api.atlassian.com/users/...,
 * https://developer.atlassian.com/cloud/admin/user-management/rest/, "IDv2: User management"):
 * the four operations profile sync uses, with the reference's rules.
 *
 *   GET   /users/{account_id}/manage          what the key may change (profile.write per field, email.set...)
 *   GET   /users/{account_id}/manage/profile  the profile
 *   PATCH /users/{account_id}/manage/profile  name, nickname, zoneinfo, locale, extended_profile.*
 *   PUT   /users/{account_id}/manage/email    {email}, on a verified domain only
 *
 * Errors use this API's own envelope, `{"key": ..., "context": ...}` (spec components.responses),
 * not the Organizations API's `{"errors": [...]}`.
 *
 * Rules the reference states: only accounts the organization manages (claimed through a
 * verified domain) can be managed, others answer 403 `forbidden` (spec: "authenticated but
 * have no permission to manage the target user"), an unknown account 404 `accountNotFound`,
 * an account whose e-mail is unverified 403 `forbidden.targetUnverified`; a field outside
 * `profile.write` answers 403 `forbidden.fieldMutation` with the mutability map; name ≤ 100
 * and nickname 1–30 characters without control characters (spec Name, Nickname
 * "_Constraints_"); an e-mail's user part and each subdomain ≤ 255 (Email `partMaxLength`);
 * the e-mail's domain must be verified (403 `forbidden.unclaimedDomain` with the domain).
 *
 * Where the reference is silent the answer VARIES (seeded), so the app cannot rely on one:
 * - some accounts have name and nickname locked (`externalDirectory.scim`: another SCIM
 *   directory owns them), drawn once per account and kept on it (`lockRate`);
 * - an e-mail another account already has answers 409 `conflict` or 400
 *   `fieldConstraintsViolated` (key `unique`), drawn per request.
 * And bounds it does not give are picked and UNCONFIRMED (README): extended-profile fields
 * ≤ 255 characters; zoneinfo must be an IANA zone and locale a BCP 47 tag (violation key
 * `format`); an empty name `minLength`; a non-string value `type`.
 */
import { timingSafeEqual } from 'node:crypto';
import type { OrgRequest, OrgResponse, UserRecord } from './types';

export const USER_MANAGEMENT_PREFIX = '/users/';

/** The profile paths `profile.write` lists (spec Manageability.Rule.ObjectMutability example). */
const TOP_FIELDS = ['name', 'nickname', 'zoneinfo', 'locale'] as const;
const EXTENDED_FIELDS = ['job_title', 'department', 'organization', 'location'] as const;
const WRITABLE = [...TOP_FIELDS, ...EXTENDED_FIELDS.map((f) => `extended_profile.${f}`)];
/** The fields a lock covers (the name another directory owns). */
const LOCKABLE = ['name', 'nickname'];
/** UNCONFIRMED bound for the extended profile (the spec gives none). */
const EXTENDED_MAX = 255;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export interface UserManagementState {
  apiKey: string;
  user(accountId: string): UserRecord | undefined;
  userByEmail(email: string): UserRecord | undefined;
  /** Whether the organization verified (and so claims accounts on) this domain. */
  verified(domain: string): boolean;
  /** Stores the account, keeping the e-mail index right when the e-mail changed. */
  putUser(user: UserRecord, previousEmail?: string): void;
  /** Share of accounts whose name and nickname are locked (default 0.1). */
  lockRate: number;
  /** The seeded draws where the reference is silent. */
  random(): number;
}

type Json = Record<string, unknown>;
interface Violation {
  field: string;
  violations: { key: string }[];
}

class Answer extends Error {
  constructor(readonly response: OrgResponse) {
    super(`${response.status}`);
  }
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): OrgResponse => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});
const fail = (status: number, key: string, context?: unknown): Answer =>
  new Answer(json(status, context === undefined ? { key } : { key, context }));

/** Answers one request under /users/ (the path as the transports hand it over). */
export function handleUserManagement(state: UserManagementState, request: OrgRequest): OrgResponse {
  try {
    authenticate(state, request);
    const url = new URL(request.path, 'http://embedded.invalid');
    const match = /^\/users\/([^/]+)\/manage(\/profile|\/email)?\/?$/.exec(url.pathname);
    if (!match) throw fail(404, 'notFound');
    const accountId = decodeURIComponent(match[1]);
    const method = request.method.toUpperCase();
    const allowed = { '': ['GET'], '/profile': ['GET', 'PATCH'], '/email': ['PUT'] }[match[2] ?? ''] ?? [];
    if (!allowed.includes(method)) {
      throw new Answer(json(405, { key: 'methodNotAllowed' }, { allow: allowed.join(', ') }));
    }
    const user = manageable(state, accountId);
    if (match[2] === undefined) return json(200, privileges(user));
    if (match[2] === '/profile') {
      if (method === 'GET') return json(200, { account: accountJson(user) });
      return json(200, { account: accountJson(patchProfile(state, user, parseBody(request))) });
    }
    setEmail(state, user, parseBody(request));
    return { status: 204, headers: {} };
  } catch (error) {
    if (error instanceof Answer) return error.response;
    return json(500, { key: 'internalServerError' });
  }
}

function authenticate(state: UserManagementState, request: OrgRequest): void {
  const raw = request.headers?.authorization;
  const header = Array.isArray(raw) ? raw[0] : raw;
  const match = header ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
  const given = Buffer.from(match?.[1] ?? '');
  const expected = Buffer.from(state.apiKey);
  if (!match || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw fail(401, 'unauthorized');
  }
}

const domainOf = (email: string) => email.slice(email.lastIndexOf('@') + 1).toLowerCase();

/** The account, if the organization may manage it (spec 403/404 answers). */
function manageable(state: UserManagementState, accountId: string): UserRecord {
  const user = state.user(accountId);
  if (!user || user.accountStatus === 'closed') throw fail(404, 'accountNotFound');
  if (!state.verified(domainOf(user.email))) throw fail(403, 'forbidden');
  if (!user.emailVerified) throw fail(403, 'forbidden.targetUnverified');
  return withLocks(state, user);
}

/** The account's locked fields, drawn the first time it is managed and kept on it. */
function withLocks(state: UserManagementState, user: UserRecord): UserRecord {
  if (user.lockedFields) return user;
  const locked = state.random() < state.lockRate ? [...LOCKABLE] : [];
  const drawn = { ...user, lockedFields: locked };
  state.putUser(drawn);
  return drawn;
}

const allowed = { allowed: true };
const lockedRule = { allowed: false, reason: { key: 'externalDirectory.scim' } };

function mutability(user: UserRecord): Json {
  return Object.fromEntries(
    WRITABLE.map((field) => [field, user.lockedFields?.includes(field) ? lockedRule : allowed]),
  );
}

/** GET .../manage: every privilege (the `privileges` filter only narrows the answer). */
function privileges(user: UserRecord): Json {
  return {
    'profile.write': mutability(user),
    'profile.read': allowed,
    'email.set': allowed,
    'lifecycle.enablement': allowed,
    'apiToken.read': allowed,
    'apiToken.delete': allowed,
  };
}

function accountJson(user: UserRecord): Json {
  return {
    account_id: user.accountId,
    account_type: 'atlassian',
    account_status: user.accountStatus,
    name: user.name,
    nickname: user.nickname,
    email: user.email,
    picture: `https://avatar-management.services.atlassian.com/default/${encodeURIComponent(user.accountId)}`,
    characteristics: { not_mentionable: false },
    ...(user.zoneinfo ? { zoneinfo: user.zoneinfo } : {}),
    ...(user.locale ? { locale: user.locale } : {}),
    extended_profile: { ...user.extendedProfile },
  };
}

function parseBody(request: OrgRequest): Json {
  try {
    const parsed = JSON.parse(request.body ?? '') as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Json;
  } catch {
    /* answered below */
  }
  throw fail(400, 'bodyParseFailure');
}

function isZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return value.includes('/') || value === 'UTC';
  } catch {
    return false;
  }
}

function isLocale(value: string): boolean {
  try {
    return Intl.getCanonicalLocales(value).length === 1;
  } catch {
    return false;
  }
}

/** The constraint keys a value violates (empty: valid). */
function check(field: string, value: unknown): string[] {
  if (typeof value !== 'string') return ['type'];
  const keys: string[] = [];
  if (CONTROL.test(value)) keys.push('validCharacters');
  if (field === 'name') {
    if (value.trim() === '') keys.push('minLength');
    if (value.length > 100) keys.push('maxLength');
  } else if (field === 'nickname') {
    if (value.length < 1) keys.push('minLength');
    if (value.length > 30) keys.push('maxLength');
  } else if (field === 'zoneinfo') {
    if (!isZone(value)) keys.push('format');
  } else if (field === 'locale') {
    if (!isLocale(value)) keys.push('format');
  } else if (value.length > EXTENDED_MAX) keys.push('maxLength');
  return keys;
}

/** PATCH .../manage/profile: every field must be writable (403) and valid (400), or nothing changes. */
function patchProfile(state: UserManagementState, user: UserRecord, body: Json): UserRecord {
  const changes = new Map<string, unknown>();
  for (const [key, value] of Object.entries(body)) {
    if (key === 'extended_profile' && value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [sub, v] of Object.entries(value as Json)) changes.set(`extended_profile.${sub}`, v);
    } else changes.set(key, value);
  }
  const rules = mutability(user);
  const forbidden = [...changes.keys()].some(
    (field) => (rules[field] as { allowed?: boolean })?.allowed !== true,
  );
  if (forbidden) throw fail(403, 'forbidden.fieldMutation', rules);
  const violations: Violation[] = [];
  for (const [field, value] of changes) {
    const keys = check(field, value);
    if (keys.length > 0) violations.push({ field, violations: keys.map((key) => ({ key })) });
  }
  if (violations.length > 0) throw fail(400, 'fieldConstraintsViolated', { fieldViolations: violations });
  const next: UserRecord = { ...user, extendedProfile: { ...user.extendedProfile } };
  for (const [field, value] of changes as Map<string, string>) {
    if (field === 'name') next.name = value;
    else if (field === 'nickname') next.nickname = value;
    else if (field === 'zoneinfo') next.zoneinfo = value;
    else if (field === 'locale') next.locale = value;
    else {
      const sub = field.slice('extended_profile.'.length) as (typeof EXTENDED_FIELDS)[number];
      // An empty string clears the field (UNCONFIRMED: how the real API clears one is not documented).
      if (value === '') delete next.extendedProfile![sub];
      else next.extendedProfile![sub] = value;
    }
  }
  state.putUser(next);
  return next;
}

/** An e-mail as the spec's Email constraints read: one @, each part ≤ 255, no control characters. */
function emailViolations(value: unknown): string[] {
  if (typeof value !== 'string') return value === undefined ? ['required'] : ['type'];
  if (CONTROL.test(value)) return ['validCharacters'];
  const at = value.lastIndexOf('@');
  const local = value.slice(0, at);
  const labels = value.slice(at + 1).split('.');
  if (
    at <= 0 ||
    labels.length < 2 ||
    labels.some((l) => l === '') ||
    /\s/.test(value) ||
    local.includes('@')
  ) {
    return ['format'];
  }
  return [local, ...labels].some((part) => part.length > 255) ? ['partMaxLength'] : [];
}

/** PUT .../manage/email: the new e-mail must be on a verified domain and nobody else's. */
function setEmail(state: UserManagementState, user: UserRecord, body: Json): void {
  const keys = emailViolations(body.email);
  if (keys.length > 0) {
    throw fail(400, 'fieldConstraintsViolated', {
      fieldViolations: [{ field: 'email', violations: keys.map((key) => ({ key })) }],
    });
  }
  const email = body.email as string;
  if (!state.verified(domainOf(email))) {
    throw fail(403, 'forbidden.unclaimedDomain', { domain: domainOf(email) });
  }
  // The address it has already: nothing to do (a PUT sent again after a lost answer).
  if (email === user.email) return;
  const other = state.userByEmail(email);
  if (other && other.accountId !== user.accountId) {
    // The reference names no answer for an address in use: either of two plausible ones.
    if (state.random() < 0.5) throw fail(409, 'conflict');
    throw fail(400, 'fieldConstraintsViolated', {
      fieldViolations: [{ field: 'email', violations: [{ key: 'unique' }] }],
    });
  }
  state.putUser({ ...user, email, emailVerified: true }, user.email);
}
