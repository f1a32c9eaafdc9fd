/**
 * "Reconcile now" and "Preview (dry run)": start a full reconcile, then poll its progress
 * while it runs (ProgressBar and counts). A finished dry run shows what it planned.
 */
import React, { useEffect, useRef, useState } from 'react';
import { Button, ButtonGroup, Heading, ProgressBar, SectionMessage, Stack, Text } from '@forge/react';
import type { ReconcileProgress, SyncLogEntryView } from '../../forge/admin-api';
import { describeFailure } from '../format';
import { describeProgress, progressFraction } from '../reconcile-progress';
import { invoke } from '../invoke';
import { Failure } from './failure';
import { LogTable } from './log-table';

/** How often a running reconcile is polled. */
export const POLL_MS = 1500;

export function ReconcilePanel({ now, onFinished }: { now: number; onFinished: () => void }) {
  const [progress, setProgress] = useState<ReconcileProgress | undefined>();
  const [planned, setPlanned] = useState<SyncLogEntryView[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [starting, setStarting] = useState(false);

  const track = (next: ReconcileProgress) => setProgress(next);

  // A run seen running and now finished tells the parent (which reloads the log). From an
  // effect, after the commit: telling it from inside a state update would update the parent
  // while this component renders, which React refuses with a warning.
  const lastState = useRef<ReconcileProgress['state'] | undefined>(undefined);
  useEffect(() => {
    if (lastState.current === 'running' && progress && progress.state !== 'running') onFinished();
    lastState.current = progress?.state;
  }, [progress]);

  useEffect(() => {
    invoke('getReconcileProgress')
      .then(track)
      .catch((failure: unknown) => setError(describeFailure(failure)));
  }, []);

  // Poll while it runs; each answer schedules the next poll, and nothing polls once done.
  useEffect(() => {
    if (progress?.state !== 'running') return;
    const timer = setTimeout(() => {
      invoke('getReconcileProgress')
        .then(track)
        .catch((failure: unknown) => setError(describeFailure(failure)));
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [progress]);

  // A finished dry run: show its plan (entries logged `planned` since it started).
  useEffect(() => {
    if (progress?.state !== 'done' || !progress.dryRun) return;
    invoke('getSyncLog', {
      status: 'planned',
      limit: 100,
      ...(progress.startedAt ? { since: progress.startedAt } : {}),
    })
      .then((page) => setPlanned(page.entries))
      .catch((failure: unknown) => setError(describeFailure(failure)));
  }, [progress?.state, progress?.dryRun, progress?.startedAt]);

  const start = async (dryRun: boolean) => {
    setStarting(true);
    setError(undefined);
    setPlanned(undefined);
    try {
      track(await invoke('reconcileNow', { dryRun }));
    } catch (failure) {
      setError(describeFailure(failure));
    } finally {
      setStarting(false);
    }
  };

  const running = progress?.state === 'running';
  return (
    <Stack space="space.150">
      <Heading size="small">Full reconcile</Heading>
      <Text>
        Checks every user and group against Atlassian and repairs (or reports) what differs, as the daily run
        does. A dry run only plans: nothing changes in Atlassian.
      </Text>
      <Failure title="The reconcile could not be started" message={error} />
      <ButtonGroup>
        <Button appearance="primary" isDisabled={starting || running} onClick={() => void start(false)}>
          Reconcile now
        </Button>
        <Button isDisabled={starting || running} onClick={() => void start(true)}>
          Preview (dry run)
        </Button>
      </ButtonGroup>
      {progress && progress.state !== 'idle' ? (
        <Stack space="space.100">
          <ProgressBar
            ariaLabel="Reconcile progress"
            value={progressFraction(progress)}
            appearance={progress.state === 'done' ? 'success' : 'default'}
          />
          <Text>{describeProgress(progress)}</Text>
        </Stack>
      ) : null}
      {planned ? (
        planned.length === 0 ? (
          <SectionMessage appearance="success" title="The dry run planned no change">
            <Text>Atlassian already matches the identity provider.</Text>
          </SectionMessage>
        ) : (
          <Stack space="space.100">
            <Heading size="xsmall">{`Planned changes (${planned.length})`}</Heading>
            <LogTable entries={planned} now={now} caption="Planned changes" onRetried={() => undefined} />
          </Stack>
        )
      ) : null}
    </Stack>
  );
}
