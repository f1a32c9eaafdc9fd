/** A resolver's refusal or failure, as a message the admin can read (never a crash). */
import React from 'react';
import { SectionMessage, Text } from '@forge/react';

export function Failure({ title, message }: { title: string; message: string | undefined }) {
  if (message === undefined) return null;
  return (
    <SectionMessage appearance="error" title={title}>
      <Text>{message}</Text>
    </SectionMessage>
  );
}
