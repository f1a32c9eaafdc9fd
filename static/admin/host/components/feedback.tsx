/** Messages and status: SectionMessage, Spinner, ProgressBar, EmptyState, Tooltip. */
import ProgressBar from '@atlaskit/progress-bar';
import SectionMessage, { SectionMessageAction } from '@atlaskit/section-message';
import Spinner from '@atlaskit/spinner';
import Tooltip from '@atlaskit/tooltip';
import type { ComponentProps } from 'react';
import { callback, pick } from '../events';
import { renderProp } from '../render';
import type { HostComponent } from '../types';

type SectionMessageProps = ComponentProps<typeof SectionMessage>;
type SpinnerProps = ComponentProps<typeof Spinner>;

export const feedback: Record<string, HostComponent> = {
  SectionMessage: ({ props, children }) => (
    <SectionMessage {...(pick(props, ['appearance', 'title', 'testId']) as unknown as SectionMessageProps)}>
      {children}
      {props.actions ? <div className="fh-actions">{renderProp(props.actions)}</div> : null}
    </SectionMessage>
  ),
  SectionMessageAction: ({ props, children }) => {
    const onClick = callback(props.onClick);
    return (
      <SectionMessageAction
        href={props.href as string | undefined}
        onClick={onClick ? () => void onClick() : undefined}
      >
        {children}
      </SectionMessageAction>
    );
  },
  Spinner: ({ props }) => (
    <span className="fh-spinner">
      <Spinner
        {...(pick(props, ['size', 'testId']) as SpinnerProps)}
        label={props.label as string | undefined}
      />
      {props.label ? <span className="fh-spinner-label">{String(props.label)}</span> : null}
    </span>
  ),
  ProgressBar: ({ props }) => (
    <ProgressBar
      appearance={
        props.appearance === 'success' || props.appearance === 'inverse' ? props.appearance : 'default'
      }
      value={typeof props.value === 'number' ? props.value : 0}
      isIndeterminate={Boolean(props.isIndeterminate)}
      ariaLabel={String(props.ariaLabel ?? 'Progress')}
    />
  ),
  EmptyState: ({ props }) => (
    <div className="fh-empty-state">
      <strong className="fh-empty-state-header">{String(props.header ?? '')}</strong>
      {props.description ? <p>{renderProp(props.description)}</p> : null}
      <div className="fh-actions">
        {renderProp(props.primaryAction)}
        {renderProp(props.secondaryAction)}
        {renderProp(props.tertiaryAction)}
      </div>
    </div>
  ),
  Tooltip: ({ props, children }) => (
    <Tooltip content={String(props.content ?? '')} position={props.position as 'top' | undefined}>
      <span>{children}</span>
    </Tooltip>
  ),
};
