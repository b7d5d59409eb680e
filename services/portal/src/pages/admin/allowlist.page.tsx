// The system CVE allowlist: its CVE ids (one per line) and when it expires (never, or a date).
import { Alert, Button, Card, Checkbox, Stack, Text, Textarea, TextInput, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { json } from "../../api/client.js";
import { adminKeys, type CveAllowlist } from "../../api/admin-queries.js";
import { useWrite } from "../../api/queries.js";
import { ErrorAlert } from "../../components/feedback.js";

/** `YYYY-MM-DD` of seconds since the epoch (UTC), for a date input. */
const dateOf = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);

export function AllowlistPage() {
  const { t } = useTranslation();
  const current = useQuery({ queryKey: adminKeys.allowlist, queryFn: () => json<CveAllowlist>("/system/CVEAllowlist") });
  const [items, setItems] = useState("");
  const [never, setNever] = useState(true);
  const [date, setDate] = useState("");
  useEffect(() => {
    const a = current.data;
    if (!a) return;
    setItems((a.items ?? []).map((i) => i.cve_id).join("\n"));
    setNever(!a.expires_at);
    setDate(a.expires_at ? dateOf(a.expires_at) : "");
  }, [current.data]);
  const ids = [...new Set(items.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean))];
  const save = useWrite(
    () =>
      json("/system/CVEAllowlist", {
        method: "PUT",
        body: { items: ids.map((cve_id) => ({ cve_id })), expires_at: never || !date ? null : Math.floor(Date.parse(`${date}T23:59:59Z`) / 1000) },
      }),
    [adminKeys.allowlist],
  );
  return (
    <Stack>
      <Title order={1} size="h2">
        {t("systemAllowlist.title")}
      </Title>
      <Text c="dimmed">{t("systemAllowlist.help")}</Text>
      <ErrorAlert error={current.error ?? save.error} />
      {current.data && (
        <Card withBorder>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              save.mutate(undefined);
            }}
          >
            <Stack>
              <Textarea label={t("systemAllowlist.items")} description={t("systemAllowlist.count", { count: ids.length })} autosize minRows={4} maxRows={16} value={items} onChange={(e) => setItems(e.currentTarget.value)} className="berth-mono" />
              <Checkbox label={t("systemAllowlist.never")} checked={never} onChange={(e) => setNever(e.currentTarget.checked)} />
              {!never && <TextInput type="date" label={t("systemAllowlist.expiresAt")} required value={date} onChange={(e) => setDate(e.currentTarget.value)} w={220} />}
              {save.isSuccess && (
                <Alert color="teal" role="status">
                  {t("systemAllowlist.saved")}
                </Alert>
            )}
            <Button type="submit" loading={save.isPending} w="fit-content">
              {t("common.save")}
            </Button>
          </Stack>
        </form>
      </Card>
      )}
    </Stack>
  );
}
