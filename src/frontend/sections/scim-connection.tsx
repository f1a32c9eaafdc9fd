/**
 * SCIM connection: the base URL (whole, and host and path for clients that ask for them
 * apart), the bearer tokens and the identity-provider guides.
 *
 * A new token is shown once, in full, with a copy control (CodeBlock has one); afterwards only
 * its fingerprint and when it was last used. Rotating means generating a second token while
 * the first stays valid, then revoking the old one: at most two are live.
 */
import React, { useState } from 'react';
import {
  Button,
  CodeBlock,
  DynamicTable,
  Heading,
  Inline,
  ModalTransition,
  SectionMessage,
  Stack,
  Text,
} from '@forge/react';
import type { AdminStatus, TokenView } from '../../forge/admin-api';
import { describeFailure, formatTime, formatWhen } from '../format';
import { invoke } from '../invoke';
import { ConfirmModal } from './confirm';
import { Failure } from './failure';
import { IdpGuides } from './idp-guides';

/** The platform keeps at most this many tokens live (AdminApi.generateToken). */
export const MAX_TOKENS = 2;

export function ScimConnectionSection({
  status,
  now,
  onChanged,
}: {
  status: AdminStatus;
  now: number;
  onChanged: () => Promise<void>;
}) {
  const [tokens, setTokens] = useState<TokenView[]>(status.tokens);
  const [fresh, setFresh] = useState<{ token: string; view: TokenView } | undefined>();
  const [confirming, setConfirming] = useState<TokenView | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      await onChanged();
    } catch (failure) {
      setError(describeFailure(failure));
    } finally {
      setBusy(false);
    }
  };

  const generate = () =>
    run(async () => {
      const result = await invoke('generateToken');
      setFresh(result);
      setTokens((await invoke('listTokens')).tokens);
    });

  const revoke = (token: TokenView) =>
    run(async () => {
      setConfirming(undefined);
      const result = await invoke('revokeToken', { id: token.id });
      setTokens(result.tokens);
      if (fresh?.view.id === token.id) setFresh(undefined);
    });

  const full = tokens.length >= MAX_TOKENS;
  return (
    <Stack space="space.200">
      <Heading size="small">SCIM base URL</Heading>
      <Text>Paste this into your identity provider (the guides below name its field).</Text>
      <CodeBlock text={status.scimBaseUrl} language="text" />
      <Text>For clients that ask for the host and the path apart (Oracle):</Text>
      <Text weight="bold">Host</Text>
      <CodeBlock text={status.scimHost} language="text" />
      <Text weight="bold">Path</Text>
      <CodeBlock text={status.scimPath} language="text" />

      <Heading size="small">Bearer tokens</Heading>
      <Failure title="The token was not changed" message={error} />
      {fresh ? (
        <SectionMessage appearance="warning" title="Copy this token now">
          <Text>
            It will not be shown again: the app keeps only its hash. Paste it into your identity provider now.
          </Text>
          <CodeBlock text={fresh.token} language="text" />
        </SectionMessage>
      ) : null}
      {tokens.length === 0 ? (
        <Text>No token yet: generate one to start provisioning.</Text>
      ) : (
        <DynamicTable
          caption="Live tokens"
          head={{
            cells: [
              { key: 'token', content: 'Token' },
              { key: 'created', content: 'Created' },
              { key: 'used', content: 'Last used' },
              { key: 'actions', content: '' },
            ],
          }}
          rows={tokens.map((token) => ({
            key: token.id,
            cells: [
              { key: 'token', content: token.fingerprint },
              { key: 'created', content: formatTime(token.createdAt) },
              { key: 'used', content: formatWhen(token.lastUsedAt, now, 'not used yet') },
              {
                key: 'actions',
                content: (
                  <Button appearance="subtle" isDisabled={busy} onClick={() => setConfirming(token)}>
                    Revoke
                  </Button>
                ),
              },
            ],
          }))}
        />
      )}
      {tokens.length === 1 ? (
        <Text>
          To rotate: generate a second token, switch the identity provider to it, check it is used, then
          revoke the old one. Both work until then.
        </Text>
      ) : null}
      {full ? (
        <Text>{`At most ${MAX_TOKENS} tokens are live at once: revoke the old one first.`}</Text>
      ) : null}
      <Inline>
        <Button appearance="primary" isDisabled={busy || full} onClick={() => void generate()}>
          {tokens.length === 0 ? 'Generate token' : 'Generate a second token (rotate)'}
        </Button>
      </Inline>

      <ModalTransition>
        {confirming ? (
          <ConfirmModal
            title="Revoke this token?"
            message={`Token ${confirming.fingerprint} stops working within 30 seconds (the time a running function trusts the token list it read): an identity provider still using it then gets 401 and its changes stop arriving.`}
            action="Revoke token"
            onCancel={() => setConfirming(undefined)}
            onConfirm={() => void revoke(confirming)}
          />
        ) : null}
      </ModalTransition>

      <IdpGuides values={{ baseUrl: status.scimBaseUrl, host: status.scimHost, path: status.scimPath }} />
    </Stack>
  );
}
