/**
 * Keeps a failure inside one tab: an error while a section renders is shown as a message in
 * that tab (the other tabs keep working) instead of unmounting the whole page.
 */
import React from 'react';
import { SectionMessage, Text } from '@forge/react';

interface Props {
  section: string;
  children: React.ReactNode;
}

export class SectionBoundary extends React.Component<Props, { error?: string }> {
  override state: { error?: string } = {};

  static getDerivedStateFromError(error: unknown): { error: string } {
    return { error: error instanceof Error ? error.message : String(error) };
  }

  override render() {
    if (this.state.error === undefined) return this.props.children;
    return (
      <SectionMessage appearance="error" title={`The ${this.props.section} tab failed`}>
        <Text>{this.state.error}</Text>
        <Text>Reload the page to try again; the other tabs still work.</Text>
      </SectionMessage>
    );
  }
}
