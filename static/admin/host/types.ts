import type { ReactNode } from 'react';
import type { ForgeDoc } from './forge-doc';

/** What a host component receives: its node, its props, its children already drawn. */
export interface HostProps {
  doc: ForgeDoc;
  props: Record<string, unknown>;
  children: ReactNode;
  /** Draws another node (a Tab's panel, a table cell, a prop that holds an element). */
  render: (doc: ForgeDoc, key?: string | number) => ReactNode;
}

export type HostComponent = (host: HostProps) => ReactNode;
