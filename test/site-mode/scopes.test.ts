/**
 * Reads as the app need the app's scopes: Forge's linter cannot see the paths JiraReads builds
 * at run time, so this holds each operation the app calls by product fetch to
 * manifest.yml's scopes, by the scope sets Jira's v3 spec requires (one full set suffices).
 */
import fs from 'node:fs';
import path from 'node:path';
import { readManifest } from '../../src/local/forge-runtime/manifest';
import { ROOT } from '../support/forge-runtime';
import { JIRA_SPEC, jiraSpecMissing } from './jira-contract';

/** What src/atlassian/jira-reads.ts (as the app) and the resolvers' admin check call. */
const APP_OPERATIONS = [
  ['get', '/rest/api/3/user'],
  ['get', '/rest/api/3/user/email'],
  ['get', '/rest/api/3/user/search'],
  ['get', '/rest/api/3/user/groups'],
  ['get', '/rest/api/3/group/bulk'],
  ['get', '/rest/api/3/group/member'],
  ['get', '/rest/api/3/mypermissions'],
] as const;

const missing = jiraSpecMissing();
(missing ? it.skip : it)(
  `manifest.yml grants a full scope set of every Jira operation read as the app${missing ? ` (${missing})` : ''}`,
  () => {
    const spec = JSON.parse(fs.readFileSync(JIRA_SPEC, 'utf8')) as {
      paths: Record<string, Record<string, { 'x-atlassian-oauth2-scopes'?: { scopes: string[] }[] }>>;
    };
    const granted = new Set(readManifest(path.join(ROOT, 'manifest.yml')).scopes);
    const uncovered = APP_OPERATIONS.filter(([method, route]) => {
      const sets = spec.paths[route][method]['x-atlassian-oauth2-scopes'] ?? [];
      return !sets.some((set) => set.scopes.every((scope) => granted.has(scope)));
    });
    expect(uncovered).toEqual([]);
  },
);
