/**
 * The Atlassian connection tab's form model (pure): the fields of both credential modes, read
 * from what the resolver shows, and what Save sends (the chosen mode's fields only; an empty
 * credential field keeps the stored credential, which the page never sees).
 */
import type {
  ConnectionMode,
  AtlassianConnectionInput,
  AtlassianConnectionView,
} from '../forge/atlassian-connection';

export interface ConnectionFields {
  mode: ConnectionMode;
  orgId: string;
  directoryId: string;
  baseUrl: string;
  apiKey: string;
  siteUrl: string;
  email: string;
  apiToken: string;
  expiresOn: string;
}

export const fieldsOf = (view: AtlassianConnectionView): ConnectionFields => ({
  mode: view.mode,
  orgId: view.orgId ?? '',
  directoryId: view.directoryId ?? '',
  baseUrl: view.baseUrl ?? '',
  apiKey: '',
  siteUrl: view.siteUrl ?? '',
  email: view.email ?? '',
  apiToken: '',
  expiresOn: view.expiresOn ?? '',
});

/** What Save sends: the mode's fields only; an empty credential keeps the stored one. */
export function connectionInput(fields: ConnectionFields): AtlassianConnectionInput {
  const common = { mode: fields.mode, expiresOn: fields.expiresOn.trim() };
  if (fields.mode === 'site') {
    return {
      ...common,
      siteUrl: fields.siteUrl.trim(),
      email: fields.email.trim(),
      ...(fields.apiToken ? { apiToken: fields.apiToken } : {}),
    };
  }
  return {
    ...common,
    orgId: fields.orgId.trim(),
    ...(fields.directoryId.trim() ? { directoryId: fields.directoryId.trim() } : {}),
    ...(fields.baseUrl.trim() ? { baseUrl: fields.baseUrl.trim() } : {}),
    ...(fields.apiKey ? { apiKey: fields.apiKey } : {}),
  };
}
