// A dialog holding a form: the server's error above the fields, Cancel (or another secondary action)
// and the submit button under them; it closes only once the submit succeeds (nothing typed is lost).
import { Button, Group, Stack, type ModalRootProps } from "@mantine/core";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Dialog } from "./dialog.js";
import { ErrorAlert } from "./error-alert.js";

export interface FormDialogProps {
  opened: boolean;
  onClose: () => void;
  title: ReactNode;
  size?: ModalRootProps["size"];
  error: unknown;
  /** The write; on success `onDone` runs (default: close). */
  onSubmit: () => Promise<unknown>;
  onDone?: () => void;
  submitting: boolean;
  submitLabel?: string;
  /** Takes Cancel's place (a connection test, say). */
  secondary?: ReactNode;
  children: ReactNode;
}

export function FormDialog({ opened, onClose, title, size, error, onSubmit, onDone, submitting, submitLabel, secondary, children }: FormDialogProps) {
  const { t } = useTranslation();
  return (
    <Dialog opened={opened} onClose={onClose} title={title} centered size={size}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          await onSubmit().then(onDone ?? onClose, () => undefined);
        }}
      >
        <Stack>
          <ErrorAlert error={error} />
          {children}
          <Group justify="flex-end">
            {secondary ?? (
              <Button variant="default" onClick={onClose}>
                {t("common.cancel")}
              </Button>
            )}
            <Button type="submit" loading={submitting}>
              {submitLabel ?? t("common.create")}
            </Button>
          </Group>
        </Stack>
      </form>
    </Dialog>
  );
}
