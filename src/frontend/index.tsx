/**
 * The admin page (UI Kit): the SCIM base URL and bearer token to paste into the identity
 * provider, and what the directory holds. A new token is shown exactly once.
 */
import React, { useEffect, useState } from 'react';
import ForgeReconciler, {
  Button,
  CodeBlock,
  Heading,
  SectionMessage,
  Spinner,
  Stack,
  Text,
} from '@forge/react';
import { makeInvoke } from '@forge/bridge';
import type { AdminApi, AdminStatus } from '../forge/admin-api';

const invoke = makeInvoke<AdminApi>();

function App() {
  const [status, setStatus] = useState<AdminStatus | undefined>();
  const [token, setToken] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const load = () =>
    invoke('getStatus')
      .then(setStatus)
      .catch((e: unknown) => setError(String(e)));

  useEffect(() => {
    void load();
  }, []);

  const rotate = async () => {
    setBusy(true);
    try {
      const result = await invoke('rotateToken');
      setToken(result.token);
      await load();
    } catch (e) {
      setError(String(e));
    } finally {
      setBusy(false);
    }
  };

  if (error) {
    return (
      <SectionMessage appearance="error" title="Could not load the provisioning settings">
        <Text>{error}</Text>
      </SectionMessage>
    );
  }
  if (!status) return <Spinner label="Loading" />;

  return (
    <Stack space="space.300">
      <Heading size="medium">SCIM provisioning</Heading>
      {status.licence.writesAllowed ? null : (
        <SectionMessage appearance="warning" title="Licence not active: provisioning is paused">
          <Text>{status.licence.detail}</Text>
          <Text>
            Your identity provider's changes are refused until the licence is renewed; it can still read what
            is provisioned.
          </Text>
        </SectionMessage>
      )}
      <Text>
        Paste these into your identity provider (Entra ID, Okta, OneLogin, JumpCloud, Keycloak, miniOrange…).
      </Text>
      <Heading size="small">SCIM base URL</Heading>
      <CodeBlock text={status.scimBaseUrl} language="text" />
      <Heading size="small">Bearer token</Heading>
      {token ? (
        <SectionMessage appearance="warning" title="Copy this token now">
          <Text>
            It is stored only as a hash and will not be shown again. Any earlier token no longer works.
          </Text>
          <CodeBlock text={token} language="text" />
        </SectionMessage>
      ) : (
        <Text>
          {status.tokenConfigured
            ? 'A token is configured. Generating a new one revokes it.'
            : 'No token yet: generate one to start provisioning.'}
        </Text>
      )}
      <Button appearance="primary" isDisabled={busy} onClick={() => void rotate()}>
        {status.tokenConfigured ? 'Generate a new token' : 'Generate token'}
      </Button>
      <Heading size="small">Directory</Heading>
      <Text>{`${status.users} users and ${status.groups} groups provisioned.`}</Text>
    </Stack>
  );
}

ForgeReconciler.render(
  <React.StrictMode>
    <App />
  </React.StrictMode>,
);
