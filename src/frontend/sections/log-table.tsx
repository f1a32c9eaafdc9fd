/**
 * Sync log entries as a table. Each entry opens (a Modal) to everything it recorded, the
 * error and the likely fix; failed and blocked ones can be retried.
 */
import React, { useState } from 'react';
import {
  Button,
  ButtonGroup,
  DynamicTable,
  Lozenge,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  ModalTitle,
  ModalTransition,
  SectionMessage,
  Stack,
  Text,
} from '@forge/react';
import type { SyncLogEntryView } from '../../forge/admin-api';
import { fixHint } from '../fix-hints';
import { describeFailure, formatAgo } from '../format';
import { canRetry, entryDetails, resourceLabel } from '../log-entry';
import { invoke } from '../invoke';
import { STATUS_APPEARANCE } from '../log-filters';

export function LogTable({
  entries,
  now,
  caption,
  onRetried,
}: {
  entries: SyncLogEntryView[];
  now: number;
  caption: string;
  onRetried: () => void;
}) {
  const [open, setOpen] = useState<SyncLogEntryView | undefined>();
  const [retry, setRetry] = useState<{ id: string; state: 'busy' | 'queued' | string } | undefined>();

  const retryEntry = async (entry: SyncLogEntryView & { resourceType: 'user' | 'group' }) => {
    setRetry({ id: entry.id, state: 'busy' });
    try {
      await invoke('retryResource', { resourceType: entry.resourceType, resource: entry.resource });
      setRetry({ id: entry.id, state: 'queued' });
      onRetried();
    } catch (failure) {
      setRetry({ id: entry.id, state: describeFailure(failure) });
    }
  };

  const hint = open ? fixHint(open) : undefined;
  const retryState = open && retry?.id === open.id ? retry.state : undefined;
  return (
    <>
      {/* Not DynamicTable's emptyView: an element in a prop cannot cross the bridge as JSON. */}
      {entries.length === 0 ? <Text>Nothing logged for these filters.</Text> : null}
      <DynamicTable
        caption={caption}
        head={{
          cells: [
            { key: 'at', content: 'When' },
            { key: 'status', content: 'Status' },
            { key: 'operation', content: 'What' },
            { key: 'resource', content: 'Resource' },
            { key: 'result', content: 'Result' },
            { key: 'open', content: '' },
          ],
        }}
        rows={entries.map((entry) => ({
          key: entry.id,
          cells: [
            { key: 'at', content: formatAgo(entry.at, now) },
            {
              key: 'status',
              content: <Lozenge appearance={STATUS_APPEARANCE[entry.status]}>{entry.status}</Lozenge>,
            },
            { key: 'operation', content: `${entry.source}: ${entry.operation}` },
            { key: 'resource', content: resourceLabel(entry) },
            { key: 'result', content: entry.result ?? entry.error ?? '' },
            {
              key: 'open',
              content: (
                <Button appearance="subtle" onClick={() => setOpen(entry)}>
                  Details
                </Button>
              ),
            },
          ],
        }))}
      />
      <ModalTransition>
        {open ? (
          <Modal onClose={() => setOpen(undefined)} width="large">
            <ModalHeader>
              <ModalTitle>{`${open.source}: ${open.operation}`}</ModalTitle>
            </ModalHeader>
            <ModalBody>
              <Stack space="space.100">
                {entryDetails(open).map(([label, value]) => (
                  <Text key={label}>{`${label}: ${value}`}</Text>
                ))}
                {hint ? (
                  <SectionMessage appearance="information" title={hint.title}>
                    <Text>{hint.fix}</Text>
                  </SectionMessage>
                ) : null}
                {retryState === 'queued' ? (
                  <SectionMessage appearance="success" title="Queued">
                    <Text>It is reconciled again now; a new entry appears here when it is done.</Text>
                  </SectionMessage>
                ) : retryState && retryState !== 'busy' ? (
                  <SectionMessage appearance="error" title="Could not retry">
                    <Text>{retryState}</Text>
                  </SectionMessage>
                ) : null}
              </Stack>
            </ModalBody>
            <ModalFooter>
              <ButtonGroup>
                {canRetry(open) && hint?.retryable !== false ? (
                  <Button
                    appearance="primary"
                    isDisabled={retryState === 'busy' || retryState === 'queued'}
                    onClick={() => void retryEntry(open)}
                  >
                    Retry
                  </Button>
                ) : null}
                <Button appearance="subtle" onClick={() => setOpen(undefined)}>
                  Close
                </Button>
              </ButtonGroup>
            </ModalFooter>
          </Modal>
        ) : null}
      </ModalTransition>
    </>
  );
}
