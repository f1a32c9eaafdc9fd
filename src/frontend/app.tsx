/**
 * The admin page: one tab per section. Everything comes from the admin resolver
 * (src/forge/admin-api.ts), which checks on the server that the caller is an admin; a refusal
 * or failure is shown as a message, never a crash.
 *
 * Only the selected tab is rendered, so a tab's data is read when the admin opens it. The page
 * opens on the SCIM connection tab until a token exists (the first thing to do), else on the
 * overview.
 */
import React, { useCallback, useEffect, useState } from 'react';
import { Heading, Spinner, Stack, Tab, TabList, TabPanel, Tabs } from '@forge/react';
import type { AdminStatus } from '../forge/admin-api';
import { describeFailure } from './format';
import { invoke } from './invoke';
import { ActivitySection } from './sections/activity';
import { SectionBoundary } from './sections/boundary';
import { AtlassianConnectionSection } from './sections/atlassian-connection';
import { Failure } from './sections/failure';
import { LicenceWarning, OverviewSection } from './sections/overview';
import { PoliciesSection } from './sections/policies';
import { ScimConnectionSection } from './sections/scim-connection';

export const TABS = ['Overview', 'SCIM connection', 'Atlassian connection', 'Policies', 'Activity'] as const;
const OVERVIEW = 0;
const SCIM = 1;

export function App() {
  const [status, setStatus] = useState<AdminStatus | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [tab, setTab] = useState<number | undefined>();
  const [now, setNow] = useState(Date.now());

  const refresh = useCallback(async () => {
    try {
      const next = await invoke('getStatus');
      // The opening tab is chosen once (before the first status shows, so the page does not
      // flick from one tab to the other): a token generated later must stay on screen.
      setTab((current) => current ?? (next.tokenConfigured ? OVERVIEW : SCIM));
      setStatus(next);
      setNow(Date.now());
      setError(undefined);
    } catch (failure) {
      setError(describeFailure(failure));
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  if (!status) {
    return error ? (
      <Failure title="Could not load the provisioning settings" message={error} />
    ) : (
      <Spinner label="Loading" />
    );
  }

  const selected = tab ?? OVERVIEW;
  const panel = (index: number, content: () => React.ReactNode) => (
    <TabPanel key={TABS[index]}>
      {selected === index ? <SectionBoundary section={TABS[index]}>{content()}</SectionBoundary> : null}
    </TabPanel>
  );
  return (
    <Stack space="space.200">
      <Heading size="large">SCIM provisioning</Heading>
      <LicenceWarning licence={status.licence} />
      <Failure title="Could not refresh the provisioning settings" message={error} />
      <Tabs
        id="scim-admin-tabs"
        selected={selected}
        onChange={(index: number) => {
          setTab(index);
          // The overview's figures move with every request: read them again when it is opened.
          if (index === OVERVIEW) void refresh();
        }}
      >
        <TabList>
          {TABS.map((name) => (
            <Tab key={name}>{name}</Tab>
          ))}
        </TabList>
        {panel(0, () => (
          <OverviewSection status={status} now={now} onRefresh={() => void refresh()} />
        ))}
        {panel(1, () => (
          <ScimConnectionSection status={status} now={now} onChanged={refresh} />
        ))}
        {panel(2, () => (
          <AtlassianConnectionSection onChanged={refresh} />
        ))}
        {panel(3, () => (
          <PoliciesSection />
        ))}
        {panel(4, () => (
          <ActivitySection now={now} />
        ))}
      </Tabs>
    </Stack>
  );
}
