// A confirmation dialog and the button that opens it: the action runs only after "confirm", the
// server's error stays in the dialog (nothing is lost), the dialog closes once the action succeeds.
import { Button, Group, Text, type ButtonProps } from "@mantine/core";
import { useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Dialog } from "./dialog.js";
import { ErrorAlert } from "./error-alert.js";

export interface ConfirmDialogProps {
  opened: boolean;
  onClose: () => void;
  title: ReactNode;
  message: ReactNode;
  confirmLabel: string;
  color?: ButtonProps["color"];
  onConfirm: () => Promise<unknown>;
}

export function ConfirmDialog({ opened, onClose, title, message, confirmLabel, color = "red", onConfirm }: ConfirmDialogProps) {
  const { t } = useTranslation();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const close = () => {
    setError(null);
    onClose();
  };
  return (
    <Dialog opened={opened} onClose={close} title={title} centered>
      <Text mb="md">{message}</Text>
      <ErrorAlert error={error} />
      <Group justify="flex-end">
        <Button variant="default" onClick={close}>
          {t("common.cancel")}
        </Button>
        <Button
          color={color}
          loading={busy}
          onClick={async () => {
            setBusy(true);
            setError(null);
            try {
              await onConfirm();
              onClose();
            } catch (err) {
              setError(err);
            } finally {
              setBusy(false);
            }
          }}
        >
          {confirmLabel}
        </Button>
      </Group>
    </Dialog>
  );
}

/** A button that asks first (a {@link ConfirmDialog}); `ariaLabel` names what it acts on. */
export function ConfirmButton({
  label,
  ariaLabel,
  size = "xs",
  variant = "light",
  ...dialog
}: Omit<ConfirmDialogProps, "opened" | "onClose" | "confirmLabel"> & { label: string; ariaLabel?: string; size?: ButtonProps["size"]; variant?: ButtonProps["variant"] }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button color={dialog.color ?? "red"} variant={variant} size={size} onClick={() => setOpen(true)} aria-label={ariaLabel ?? label}>
        {label}
      </Button>
      <ConfirmDialog {...dialog} confirmLabel={label} opened={open} onClose={() => setOpen(false)} />
    </>
  );
}
