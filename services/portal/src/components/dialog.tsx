// Mantine's Modal with a header that is not a <header> element (inside a dialog axe counts it as
// a second banner landmark) and a labelled close button; the title names the dialog.
import { Group, Modal, type ModalRootProps } from "@mantine/core";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";

export function Dialog({ title, children, ...props }: Omit<ModalRootProps, "title"> & { title: ReactNode; children: ReactNode }) {
  const { t } = useTranslation();
  return (
    <Modal.Root {...props}>
      <Modal.Overlay />
      <Modal.Content>
        <Group justify="space-between" p="md" pb={0} wrap="nowrap">
          <Modal.Title fw={600}>{title}</Modal.Title>
          <Modal.CloseButton aria-label={t("common.close")} />
        </Group>
        <Modal.Body pt="md">{children}</Modal.Body>
      </Modal.Content>
    </Modal.Root>
  );
}
