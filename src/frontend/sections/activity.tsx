/**
 * Activity: the sync log, newest first, filtered by status, resource and time range and paged
 * by cursor; and the full reconcile ("Reconcile now", "Preview (dry run)").
 */
import React, { useEffect, useState } from 'react';
import {
  Button,
  ButtonGroup,
  Heading,
  Inline,
  Label,
  SectionMessage,
  Select,
  Spinner,
  Stack,
  Text,
  Textfield,
} from '@forge/react';
import type { SyncLogEntryView } from '../../forge/admin-api';
import type { LogStatus } from '../../sync/log';
import { describeFailure } from '../format';
import { invoke } from '../invoke';
import { LogFilters, NO_FILTERS, RANGES, RangeValue, STATUSES, logQuery } from '../log-filters';
import { Failure } from './failure';
import { LogTable } from './log-table';
import { ReconcilePanel } from './reconcile';

interface Option {
  label: string;
  value: string;
}

const STATUS_OPTIONS: Option[] = [
  { label: 'Any status', value: '' },
  ...STATUSES.map((s) => ({ label: s, value: s })),
];
const RANGE_OPTIONS: Option[] = RANGES.map((r) => ({ label: r.label, value: r.value }));

interface Page {
  entries: SyncLogEntryView[];
  /** Continues after this page's last entry. */
  next?: string;
}

/**
 * Which page of the log is asked for: the filters applied, the cursor of this page and of the
 * pages before it (for Newer). One state, so each action asks for the log once.
 */
interface LogView {
  filters: LogFilters;
  cursor?: string;
  /** The cursors of the pages before this one (the first page has none). */
  trail: (string | undefined)[];
  /** Bumped to read the same page again. */
  reload: number;
}

export function ActivitySection({ now }: { now: number }) {
  const [draft, setDraft] = useState<LogFilters>(NO_FILTERS);
  const [view, setView] = useState<LogView>({ filters: NO_FILTERS, trail: [], reload: 0 });
  const [page, setPage] = useState<Page | undefined>();
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [dryRunPolicy, setDryRunPolicy] = useState(false);

  // With the dry-run policy on, nothing reaches Atlassian: say so where the admin looks for it.
  useEffect(() => {
    invoke('getPolicies')
      .then((result) => setDryRunPolicy(result.policies.dryRun))
      .catch(() => undefined); // the log below reports a failing resolver
  }, []);

  useEffect(() => {
    setLoading(true);
    invoke('getSyncLog', logQuery(view.filters, Date.now(), view.cursor))
      .then((result) => {
        setPage({ entries: result.entries, ...(result.cursor ? { next: result.cursor } : {}) });
        setError(undefined);
      })
      .catch((failure: unknown) => setError(describeFailure(failure)))
      .finally(() => setLoading(false));
  }, [view]);

  const apply = () => setView((current) => ({ filters: draft, trail: [], reload: current.reload + 1 }));
  const older = () => {
    const next = page?.next;
    if (!next) return;
    setView((current) => ({ ...current, cursor: next, trail: [...current.trail, current.cursor] }));
  };
  const newer = () =>
    setView((current) => {
      const { cursor: _newest, ...rest } = current;
      const previous = current.trail[current.trail.length - 1];
      return { ...rest, trail: current.trail.slice(0, -1), ...(previous ? { cursor: previous } : {}) };
    });
  const reload = () => setView((current) => ({ ...current, reload: current.reload + 1 }));

  return (
    <Stack space="space.300">
      {dryRunPolicy ? (
        <SectionMessage appearance="information" title="Dry run is on">
          <Text>
            Every change is planned and logged with status "planned"; none is made in Atlassian. Turn it off
            on the Policies tab.
          </Text>
        </SectionMessage>
      ) : null}
      <ReconcilePanel now={now} onFinished={reload} />

      <Stack space="space.150">
        <Heading size="small">Sync log</Heading>
        <Text>
          Every request from the identity provider and every change made in Atlassian because of it, newest
          first. Open an entry for the error and the likely fix.
        </Text>
        <Inline space="space.200" shouldWrap alignBlock="end">
          <Stack space="space.050">
            <Label labelFor="log-status">Status</Label>
            <Select
              inputId="log-status"
              options={STATUS_OPTIONS}
              value={STATUS_OPTIONS.find((o) => o.value === draft.status)}
              onChange={(option: Option | null) =>
                setDraft((current) => ({ ...current, status: (option?.value ?? '') as LogStatus | '' }))
              }
            />
          </Stack>
          <Stack space="space.050">
            <Label labelFor="log-resource">User or group: id, userName, e-mail or group name</Label>
            <Textfield
              id="log-resource"
              name="resource"
              value={draft.resource}
              onChange={(event: { target: { value?: unknown } }) =>
                setDraft((current) => ({ ...current, resource: String(event.target.value ?? '') }))
              }
            />
          </Stack>
          <Stack space="space.050">
            <Label labelFor="log-range">Time</Label>
            <Select
              inputId="log-range"
              options={RANGE_OPTIONS}
              value={RANGE_OPTIONS.find((o) => o.value === draft.range)}
              onChange={(option: Option | null) =>
                setDraft((current) => ({ ...current, range: (option?.value ?? 'all') as RangeValue }))
              }
            />
          </Stack>
          <ButtonGroup>
            <Button appearance="primary" onClick={apply}>
              Apply filters
            </Button>
            <Button onClick={reload}>Refresh</Button>
          </ButtonGroup>
        </Inline>
        <Failure title="Could not read the sync log" message={error} />
        {loading && !page ? <Spinner label="Loading the sync log" /> : null}
        {page ? <LogTable entries={page.entries} now={now} caption="Sync log" onRetried={reload} /> : null}
        <ButtonGroup>
          <Button isDisabled={view.trail.length === 0 || loading} onClick={newer}>
            Newer
          </Button>
          <Button isDisabled={!page?.next || loading} onClick={older}>
            Older
          </Button>
        </ButtonGroup>
      </Stack>
    </Stack>
  );
}
