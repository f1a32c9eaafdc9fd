/** A modal asking the admin to confirm a destructive action: Cancel, or the action (danger). */
import React from 'react';
import {
  Button,
  ButtonGroup,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  ModalTitle,
  Text,
} from '@forge/react';

export function ConfirmModal({
  title,
  message,
  action,
  onCancel,
  onConfirm,
}: {
  title: string;
  message: string;
  /** The confirming button's label. */
  action: string;
  onCancel: () => void;
  onConfirm: () => void;
}) {
  return (
    <Modal onClose={onCancel}>
      <ModalHeader>
        <ModalTitle>{title}</ModalTitle>
      </ModalHeader>
      <ModalBody>
        <Text>{message}</Text>
      </ModalBody>
      <ModalFooter>
        <ButtonGroup>
          <Button appearance="subtle" onClick={onCancel}>
            Cancel
          </Button>
          <Button appearance="danger" onClick={onConfirm}>
            {action}
          </Button>
        </ButtonGroup>
      </ModalFooter>
    </Modal>
  );
}
