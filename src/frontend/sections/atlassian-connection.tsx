/**
 * Atlassian connection: the credential mode (an organization API key, or a site admin's
 * e-mail and API token), its fields, and the credential's expiry date. The credential is a
 * Forge secret: once saved the page only learns that one is set, and saving with the field
 * empty keeps it. "Test connection" names what is missing when it fails.
 */
import React, { useEffect, useState } from 'react';
import {
  Button,
  ButtonGroup,
  Heading,
  HelperMessage,
  Inline,
  Label,
  Lozenge,
  ModalTransition,
  RadioGroup,
  SectionMessage,
  Spinner,
  Stack,
  Text,
  Textfield,
} from '@forge/react';
import type { ConnectionTestResult, AtlassianConnectionView } from '../../forge/atlassian-connection';
import { ConnectionFields, connectionInput, fieldsOf } from '../connection-form';
import { connectionTestAdvice } from '../connection-advice';
import { describeFailure } from '../format';
import { invoke } from '../invoke';
import { ConfirmModal } from './confirm';
import { Failure } from './failure';

const MODE_OPTIONS = [
  {
    name: 'mode',
    value: 'org',
    label: 'Organization API key (admin.atlassian.com): everything the policies offer',
  },
  {
    name: 'mode',
    value: 'site',
    label:
      'Site admin e-mail and API token (<site>.atlassian.net): no suspension, deactivation removes product access',
  },
];

type FieldEvent = { target: { value?: unknown } };

function describeView(view: AtlassianConnectionView): string {
  if (!view.configured) {
    return 'Changes from the identity provider wait until Atlassian is connected, then all are made.';
  }
  const target =
    view.mode === 'site'
      ? `Site ${view.siteUrl ?? ''} as ${view.email ?? ''}`
      : `Organization ${view.orgId ?? ''}`;
  return view.source === 'environment'
    ? `${target}, from the app's environment variables. Saving here replaces them.`
    : `${target}.`;
}

export function AtlassianConnectionSection({ onChanged }: { onChanged: () => Promise<void> }) {
  const [view, setView] = useState<AtlassianConnectionView | undefined>();
  const [fields, setFields] = useState<ConnectionFields | undefined>();
  const [test, setTest] = useState<ConnectionTestResult | undefined>();
  const [busy, setBusy] = useState<'save' | 'test' | 'clear' | undefined>();
  const [confirmClear, setConfirmClear] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [saved, setSaved] = useState(false);

  const show = (next: AtlassianConnectionView) => {
    setView(next);
    setFields(fieldsOf(next));
  };

  useEffect(() => {
    invoke('getAtlassianConnection')
      .then(show)
      .catch((failure: unknown) => setError(describeFailure(failure)));
  }, []);

  if (!view || !fields) {
    return error ? (
      <Failure title="Could not read the Atlassian connection" message={error} />
    ) : (
      <Spinner label="Loading the Atlassian connection" />
    );
  }

  const act = async (kind: 'save' | 'test' | 'clear', action: () => Promise<void>) => {
    setBusy(kind);
    setError(undefined);
    setSaved(false);
    try {
      await action();
      await onChanged();
    } catch (failure) {
      setError(describeFailure(failure));
    } finally {
      setBusy(undefined);
    }
  };
  const save = () =>
    act('save', async () => {
      show(await invoke('saveAtlassianConnection', connectionInput(fields)));
      setTest(undefined);
      setSaved(true);
    });
  const testConnection = () => act('test', async () => setTest(await invoke('testAtlassianConnection')));
  const clear = () =>
    act('clear', async () => {
      setConfirmClear(false);
      show(await invoke('clearAtlassianConnection'));
      setTest(undefined);
    });

  const set = (name: keyof ConnectionFields) => (event: FieldEvent) =>
    setFields((current) => current && { ...current, [name]: String(event.target.value ?? '') });
  // The stored credential belongs to the stored mode: switching mode needs a new one.
  const credentialSet = view.apiKeySet && view.mode === fields.mode;
  const secretHelp = credentialSet
    ? 'One is set. It is kept as a Forge secret and never shown again; enter a new one only to replace it.'
    : 'Kept as a Forge secret: it is never shown again after saving.';
  // The credential's field (the API key, or the site admin's API token): never filled in.
  const secretField = (id: string, name: 'apiKey' | 'apiToken', label: string) => (
    <>
      <Label labelFor={id}>{label}</Label>
      <Textfield
        id={id}
        name={name}
        type="password"
        value={fields[name]}
        placeholder={credentialSet ? 'set (hidden): leave empty to keep it' : ''}
        onChange={set(name)}
      />
      <HelperMessage>{secretHelp}</HelperMessage>
    </>
  );

  return (
    <Stack space="space.200">
      <Inline space="space.100" alignBlock="center">
        <Lozenge appearance={view.configured ? 'success' : 'default'} isBold>
          {view.configured ? 'Connected' : 'Not connected'}
        </Lozenge>
        <Text>{describeView(view)}</Text>
      </Inline>
      {view.expiryWarning ? (
        <SectionMessage
          appearance={(view.expiresInDays ?? 0) < 0 ? 'error' : 'warning'}
          title={(view.expiresInDays ?? 0) < 0 ? 'The credential has expired' : 'The credential expires soon'}
        >
          <Text>{view.expiryWarning}</Text>
        </SectionMessage>
      ) : view.expiresOn ? (
        <Text>{`The credential expires on ${view.expiresOn}.`}</Text>
      ) : null}
      <Failure title="The connection was not changed" message={error} />
      {saved ? (
        <SectionMessage appearance="success" title="Saved">
          <Text>Press "Test connection" to check that the credential can provision.</Text>
        </SectionMessage>
      ) : null}

      <Heading size="small">How the app reaches Atlassian</Heading>
      <RadioGroup
        name="mode"
        options={MODE_OPTIONS}
        value={fields.mode}
        onChange={(event: FieldEvent) =>
          setFields(
            (current) => current && { ...current, mode: event.target.value === 'site' ? 'site' : 'org' },
          )
        }
      />
      {fields.mode === 'org' ? (
        <Stack space="space.100">
          <Text>
            In admin.atlassian.com open Settings → API keys, create a key (note its expiry date) and copy the
            organization ID and the key.
          </Text>
          <Label labelFor="atlassian-org-id">Organization ID</Label>
          <Textfield id="atlassian-org-id" name="orgId" value={fields.orgId} onChange={set('orgId')} />
          {secretField('atlassian-api-key', 'apiKey', 'API key')}
          <Label labelFor="atlassian-directory-id">Directory ID (optional)</Label>
          <Textfield
            id="atlassian-directory-id"
            name="directoryId"
            value={fields.directoryId}
            onChange={set('directoryId')}
          />
          <HelperMessage>Needed only when the organization has several directories.</HelperMessage>
          <Label labelFor="atlassian-base-url">API base URL (optional)</Label>
          <Textfield
            id="atlassian-base-url"
            name="baseUrl"
            value={fields.baseUrl}
            onChange={set('baseUrl')}
          />
          <HelperMessage>Leave empty for https://api.atlassian.com/admin.</HelperMessage>
        </Stack>
      ) : (
        <Stack space="space.100">
          <Text>
            As a site admin, create an API token at id.atlassian.com → Security → API tokens (note its expiry
            date). Suspension, directory removal and group renames are not possible this way.
          </Text>
          <Label labelFor="atlassian-site-url">Site URL</Label>
          <Textfield
            id="atlassian-site-url"
            name="siteUrl"
            value={fields.siteUrl}
            placeholder="https://your-site.atlassian.net"
            onChange={set('siteUrl')}
          />
          <Label labelFor="atlassian-email">Site admin e-mail</Label>
          <Textfield id="atlassian-email" name="email" value={fields.email} onChange={set('email')} />
          {secretField('atlassian-api-token', 'apiToken', 'API token')}
        </Stack>
      )}
      <Label labelFor="atlassian-expires-on">Expires on (YYYY-MM-DD, optional)</Label>
      <Textfield
        id="atlassian-expires-on"
        name="expiresOn"
        value={fields.expiresOn}
        placeholder="YYYY-MM-DD"
        onChange={set('expiresOn')}
      />
      <HelperMessage>
        As Atlassian showed it when the key or token was created: the page warns 14 days before.
      </HelperMessage>

      <ButtonGroup>
        <Button appearance="primary" isDisabled={busy !== undefined} onClick={() => void save()}>
          Save
        </Button>
        <Button isDisabled={busy !== undefined} onClick={() => void testConnection()}>
          Test connection
        </Button>
        <Button
          appearance="subtle"
          isDisabled={busy !== undefined || (!view.configured && !view.apiKeySet)}
          onClick={() => setConfirmClear(true)}
        >
          Disconnect
        </Button>
      </ButtonGroup>
      {busy === 'test' ? <Spinner label="Testing the connection" /> : null}
      {test ? <TestResult result={test} /> : null}

      <ModalTransition>
        {confirmClear ? (
          <ConfirmModal
            title="Disconnect from Atlassian?"
            message="The stored credential is deleted. Changes from the identity provider are kept and wait until Atlassian is connected again."
            action="Disconnect"
            onCancel={() => setConfirmClear(false)}
            onConfirm={() => void clear()}
          />
        ) : null}
      </ModalTransition>
    </Stack>
  );
}

function TestResult({ result }: { result: ConnectionTestResult }) {
  if (!result.ok) {
    return (
      <SectionMessage appearance="error" title="The connection does not work">
        <Text>{result.message}</Text>
        {result.missing ? <Text>{`Missing: ${result.missing}.`}</Text> : null}
        <Text>{connectionTestAdvice(result.kind, result.mode)}</Text>
      </SectionMessage>
    );
  }
  const reached =
    result.mode === 'site'
      ? `Site ${result.siteUrl ?? ''}, as ${result.displayName ?? result.accountId ?? 'the token owner'}.`
      : `Organization ${result.orgName ?? result.orgId ?? ''}, directory ${result.directoryName ?? result.directoryId ?? ''}.`;
  // What works now but will fail later with this credential (a site admin who is not an
  // organization admin cannot invite new users): said here, before the first invite fails.
  const warnings = result.warnings ?? [];
  return (
    <SectionMessage
      appearance={warnings.length > 0 ? 'warning' : 'success'}
      title={warnings.length > 0 ? 'The connection works, with a warning' : 'The connection works'}
    >
      <Text>{reached}</Text>
      {warnings.map((warning) => (
        <Text key={warning}>{warning}</Text>
      ))}
      <Text>{`Products: ${result.products.join(', ') || 'none'}.`}</Text>
      {result.appReads ? (
        <Text>
          {result.appReads.available
            ? 'Reads go through the app itself, sparing the credential.'
            : (result.appReads.detail ?? 'Reads as the app are not available: the credential reads instead.')}
        </Text>
      ) : null}
    </SectionMessage>
  );
}
