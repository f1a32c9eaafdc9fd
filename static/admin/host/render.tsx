/**
 * Draws a UI Kit tree (ForgeDoc) with React DOM: each node type maps to a host component
 * (components/*), drawn with Atlassian's design-system packages where they run in a plain
 * browser, else with HTML and CSS close to them. A type the host does not know is drawn as a
 * visible warning box, never dropped silently.
 */
import { isValidElement, type ReactElement, type ReactNode } from 'react';
import type { ForgeDoc } from './forge-doc';
import type { HostComponent } from './types';
import { buttons } from './components/buttons';
import { feedback } from './components/feedback';
import { fields } from './components/fields';
import { layout } from './components/layout';
import { modal } from './components/modal';
import { table } from './components/table';
import { tabs } from './components/tabs';
import { text } from './components/text';

export const COMPONENTS: Record<string, HostComponent> = {
  ...layout,
  ...text,
  ...buttons,
  ...feedback,
  ...fields,
  ...tabs,
  ...modal,
  ...table,
};

export function renderDoc(doc: ForgeDoc, key?: string | number): ReactNode {
  if (doc.type === 'String') return String(doc.props.text ?? '');
  const Component = COMPONENTS[doc.type];
  const children = doc.children.map((child, index) => renderDoc(child, child.key ?? index));
  if (!Component) return <Unknown key={key} type={doc.type} children={children} />;
  return <Host key={key} component={Component} doc={doc} children={children.length ? children : undefined} />;
}

function Host({
  component: Component,
  doc,
  children,
}: {
  component: HostComponent;
  doc: ForgeDoc;
  children: ReactNode;
}) {
  return <>{Component({ doc, props: doc.props, children, render: renderDoc })}</>;
}

function Unknown({ type, children }: { type: string; children: ReactNode }) {
  return (
    <div className="fh-unknown" data-unknown-component={type} role="note">
      <strong>The local host cannot draw the UI Kit component “{type}”.</strong>
      {children ? <div>{children}</div> : null}
    </div>
  );
}

/**
 * A prop that holds UI (SectionMessage `actions`, EmptyState `primaryAction`, a table's
 * `emptyView`): a React element made of UI Kit components, drawn as if it were a tree.
 */
export function renderProp(value: unknown): ReactNode {
  if (value === undefined || value === null || typeof value === 'boolean') return null;
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.map((item, index) => <span key={index}>{renderProp(item)}</span>);
  if (isValidElement(value)) return renderDoc(elementToDoc(value));
  return null;
}

function elementToDoc(element: ReactElement): ForgeDoc {
  const { children, ...props } = (element.props ?? {}) as Record<string, unknown>;
  const type = typeof element.type === 'string' ? element.type : 'a function component';
  const list = Array.isArray(children) ? children : children === undefined ? [] : [children];
  return {
    type,
    props,
    children: list.flatMap((child): ForgeDoc[] => {
      if (typeof child === 'string' || typeof child === 'number')
        return [{ type: 'String', props: { text: String(child) }, children: [] }];
      if (isValidElement(child)) return [elementToDoc(child)];
      return [];
    }),
  };
}
