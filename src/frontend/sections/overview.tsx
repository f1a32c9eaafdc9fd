/**
 * Overview: what the directory holds, what waits or failed, when the identity provider last
 * called, the health line and the licence.
 */
import React from 'react';
import { Box, Button, Heading, Inline, Lozenge, SectionMessage, Stack, Text } from '@forge/react';
import type { AdminHealth, AdminLicence, AdminStatus } from '../../forge/admin-api';
import { formatCount, formatLastRequest, formatWhen } from '../format';

type LozengeAppearance = 'success' | 'moved' | 'removed' | 'default' | 'inprogress';

export const HEALTH_APPEARANCE: Record<AdminHealth['state'], LozengeAppearance> = {
  ok: 'success',
  warning: 'moved',
  error: 'removed',
  idle: 'default',
};
const HEALTH_LABEL: Record<AdminHealth['state'], string> = {
  ok: 'Healthy',
  warning: 'Warning',
  error: 'Needs attention',
  idle: 'Not started',
};
const LICENCE_LABEL: Record<AdminLicence['state'], string> = {
  active: 'Licence active',
  inactive: 'Licence inactive',
  none: 'No licence needed',
};

/** Shown above every tab while SCIM writes are refused. */
export function LicenceWarning({ licence }: { licence: AdminLicence }) {
  if (licence.writesAllowed) return null;
  return (
    <SectionMessage appearance="warning" title="Licence not active: provisioning is paused">
      <Text>{licence.detail}</Text>
      <Text>
        Your identity provider's changes are refused until the licence is renewed; it can still read what is
        provisioned.
      </Text>
    </SectionMessage>
  );
}

function Count({ label, value }: { label: string; value: string }) {
  return (
    <Box padding="space.100">
      <Stack space="space.050">
        <Heading size="medium">{value}</Heading>
        <Text>{label}</Text>
      </Stack>
    </Box>
  );
}

export function OverviewSection({
  status,
  now,
  onRefresh,
}: {
  status: AdminStatus;
  now: number;
  onRefresh: () => void;
}) {
  const { health, licence } = status;
  return (
    <Stack space="space.200">
      <Inline space="space.100" alignBlock="center">
        <Lozenge appearance={HEALTH_APPEARANCE[health.state]} isBold>
          {HEALTH_LABEL[health.state]}
        </Lozenge>
        <Text>{health.message}</Text>
      </Inline>
      <Inline space="space.300" shouldWrap>
        <Count label="users" value={formatCount(status.users)} />
        <Count label="groups" value={formatCount(status.groups)} />
        <Count label="pending" value={formatCount(status.pending, status.pendingAtLeast)} />
        <Count label="failed in the last 24 hours" value={formatCount(status.failed, status.failedAtLeast)} />
      </Inline>
      <Text>{`SCIM base URL: ${status.scimBaseUrl}`}</Text>
      <Text>{`Last request from the identity provider: ${formatLastRequest(status.lastScimRequestAt, now)}.`}</Text>
      {status.refusedRequests ? <Text>{refusedLine(status.refusedRequests, now)}</Text> : null}
      <Inline space="space.100" alignBlock="center">
        <Lozenge appearance={licence.writesAllowed ? 'success' : 'removed'}>
          {LICENCE_LABEL[licence.state]}
        </Lozenge>
        <Text>{licence.endDate ? `${licence.detail} (until ${licence.endDate})` : licence.detail}</Text>
      </Inline>
      {status.tokenConfigured ? null : (
        <SectionMessage appearance="information" title="Get started">
          <Text>
            Open the SCIM connection tab, generate a token and paste it with the base URL into your identity
            provider; then connect Atlassian.
          </Text>
        </SectionMessage>
      )}
      <Inline>
        <Button onClick={onRefresh}>Refresh</Button>
      </Inline>
    </Stack>
  );
}

/**
 * Requests without a valid token: only how many and when. A count the admin can act on (an
 * identity provider with an old token, or someone probing the URL), never what they sent.
 */
function refusedLine(refused: NonNullable<AdminStatus['refusedRequests']>, now: number): string {
  const requests = refused.count === 1 ? '1 request' : `${formatCount(refused.count)} requests`;
  return `${requests} refused for a missing or wrong token since ${formatWhen(refused.since, now)}, the latest ${formatWhen(refused.lastAt, now)}. An identity provider with an old token shows up here: give it the current one.`;
}
