// Small shared pieces: the API's error text, empty states, copy buttons, confirmed deletes, paging.
import { ActionIcon, CopyButton, Group, Pagination, Text, Tooltip, type ButtonProps } from "@mantine/core";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { ConfirmButton } from "./confirm-dialog.js";

export { ErrorAlert } from "./error-alert.js";

export function EmptyState({ children }: { children: ReactNode }) {
  return (
    <Text c="dimmed" py="lg" ta="center" data-testid="empty-state">
      {children}
    </Text>
  );
}

export function CopyText({ value, label }: { value: string; label: string }) {
  const { t } = useTranslation();
  return (
    <CopyButton value={value} timeout={2000}>
      {({ copied, copy }) => (
        <Tooltip label={copied ? t("common.copied") : t("common.copy")} withArrow withinPortal={false}>
          <ActionIcon variant="subtle" onClick={copy} aria-label={`${t("common.copy")}: ${label}`} color={copied ? "teal" : "gray"}>
            {copied ? "✓" : <CopyIcon />}
          </ActionIcon>
        </Tooltip>
      )}
    </CopyButton>
  );
}

/** Two overlapping sheets (drawn: not every system font has a copy glyph). */
function CopyIcon() {
  return (
    <svg width="16" height="16" viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
      <rect x="5.5" y="5.5" width="8" height="8" rx="1.5" />
      <path d="M10.5 3.5v-1a1 1 0 0 0-1-1h-6a1 1 0 0 0-1 1v6a1 1 0 0 0 1 1h1" />
    </svg>
  );
}

/** A delete button that asks first; shows the server's error if the delete is refused. */
export function ConfirmDelete({ name, onConfirm, label, size = "xs" }: { name: string; onConfirm: () => Promise<unknown>; label?: string; size?: ButtonProps["size"] }) {
  const { t } = useTranslation();
  return <ConfirmButton label={t("common.delete")} ariaLabel={label ?? `${t("common.delete")} ${name}`} size={size} title={t("common.delete")} message={t("common.confirmDelete", { name })} onConfirm={onConfirm} />;
}

export function Pager({ page, pageSize, total, onChange }: { page: number; pageSize: number; total: number; onChange: (p: number) => void }) {
  const { t } = useTranslation();
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return (
    <Group justify="space-between" mt="md">
      <Text size="sm" c="dimmed">
        {t("common.pageOf", { page, pages, total })}
      </Text>
      {pages > 1 && (
        <Pagination
          total={pages}
          value={page}
          onChange={onChange}
          size="sm"
          getControlProps={(control) => ({ "aria-label": control === "previous" ? t("common.previous") : control === "next" ? t("common.next") : control })}
        />
      )}
    </Group>
  );
}
