/** Buttons: Button, LoadingButton, LinkButton, ButtonGroup, Pressable. */
import Button from '@atlaskit/button';
import ButtonGroup from '@atlaskit/button/button-group';
import LoadingButton from '@atlaskit/button/loading-button';
import type { ComponentProps } from 'react';
import { callback, pick } from '../events';
import type { HostComponent } from '../types';

type ButtonProps = ComponentProps<typeof Button>;

const BUTTON_PROPS = [
  'appearance',
  'autoFocus',
  'isDisabled',
  'isSelected',
  'shouldFitContainer',
  'spacing',
  'testId',
];

function buttonProps(props: Record<string, unknown>): ButtonProps {
  const onClick = callback(props.onClick);
  const onBlur = callback(props.onBlur);
  const onFocus = callback(props.onFocus);
  return {
    ...(pick(props, BUTTON_PROPS) as ButtonProps),
    type: props.type === 'submit' ? 'submit' : props.type === 'reset' ? 'reset' : 'button',
    // The page's handler gets no DOM event: in a product it could not cross the iframe.
    ...(onClick ? { onClick: () => void onClick() } : {}),
    ...(onBlur ? { onBlur: () => void onBlur() } : {}),
    ...(onFocus ? { onFocus: () => void onFocus() } : {}),
  };
}

export const buttons: Record<string, HostComponent> = {
  Button: ({ props, children }) => <Button {...buttonProps(props)}>{children}</Button>,
  LoadingButton: ({ props, children }) => (
    <LoadingButton {...buttonProps(props)} isLoading={Boolean(props.isLoading)}>
      {children}
    </LoadingButton>
  ),
  LinkButton: ({ props, children }) => (
    <Button
      {...buttonProps(props)}
      href={String(props.href ?? '#')}
      target={props.target === '_self' ? '_self' : '_blank'}
      rel="noopener noreferrer"
    >
      {children}
    </Button>
  ),
  // ADS's group is inline-flex with growing items: in a Stack it would stretch across.
  ButtonGroup: ({ props, children }) => (
    <div className="fh-button-group">
      <ButtonGroup label={props.label as string | undefined}>{children}</ButtonGroup>
    </div>
  ),
  Pressable: ({ props, children }) => {
    const onClick = callback(props.onClick);
    return (
      <button
        type="button"
        className="fh-pressable"
        disabled={Boolean(props.isDisabled)}
        onClick={onClick ? () => void onClick() : undefined}
      >
        {children}
      </button>
    );
  },
};
