/**
 * The UI Kit tree @forge/react's reconciler sends with every `reconcile` (a ForgeDoc), as the
 * browser host keeps it: a copy made at the time, since the reconciler mutates its own.
 */
export interface ForgeDoc {
  type: string;
  props: Record<string, unknown>;
  children: ForgeDoc[];
  /** The reconciler's id of the element, stable across commits: the React key here. */
  key?: string;
}

export function snapshot(doc: ForgeDoc): ForgeDoc {
  return {
    type: doc.type,
    props: { ...doc.props },
    children: (doc.children ?? []).map(snapshot),
    ...(doc.key ? { key: doc.key } : {}),
  };
}

/** The text of a subtree (String nodes), for labels such as a Tab's or a Button's. */
export function textOf(doc: ForgeDoc): string {
  if (doc.type === 'String') return String(doc.props.text ?? '');
  return doc.children.map(textOf).join('');
}
