/** Modal dialogs: ADS modal-dialog, with Forge's `title` shorthand drawn as a header. */
import ModalDialog, {
  ModalBody,
  ModalFooter,
  ModalHeader,
  ModalTitle,
  ModalTransition,
} from '@atlaskit/modal-dialog';
import type { ComponentProps } from 'react';
import { callback, pick } from '../events';
import type { HostComponent } from '../types';

type ModalProps = ComponentProps<typeof ModalDialog>;
type TitleProps = ComponentProps<typeof ModalTitle>;

export const modal: Record<string, HostComponent> = {
  ModalTransition: ({ children }) => <ModalTransition>{children}</ModalTransition>,
  Modal: ({ props, children }) => {
    const onClose = callback(props.onClose);
    return (
      <ModalDialog
        {...(pick(props, [
          'width',
          'height',
          'label',
          'autoFocus',
          'shouldScrollInViewport',
          'testId',
        ]) as ModalProps)}
        onClose={() => void onClose?.()}
      >
        {props.title ? (
          <ModalHeader>
            <ModalTitle>{String(props.title)}</ModalTitle>
          </ModalHeader>
        ) : null}
        {children}
      </ModalDialog>
    );
  },
  ModalHeader: ({ children }) => <ModalHeader>{children}</ModalHeader>,
  ModalTitle: ({ props, children }) => (
    <ModalTitle {...(pick(props, ['appearance', 'isMultiline']) as TitleProps)}>{children}</ModalTitle>
  ),
  ModalBody: ({ children }) => <ModalBody>{children}</ModalBody>,
  ModalFooter: ({ children }) => <ModalFooter>{children}</ModalFooter>,
};
