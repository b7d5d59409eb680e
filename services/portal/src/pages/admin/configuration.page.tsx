import { Alert, Button, Card, Checkbox, Group, NumberInput, PasswordInput, SegmentedControl, Stack, Text, TextInput, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { json } from "../../api/client.js";
import { useWrite } from "../../api/queries.js";
import { ErrorAlert } from "../../components/feedback.js";

type Settings = Record<string, { value?: unknown; editable?: boolean } | undefined>;

const TEXT_KEYS = {
  ldap: [
    ["ldap_url", "ldapUrl"],
    ["ldap_base_dn", "ldapBaseDn"],
    ["ldap_search_dn", "ldapSearchDn"],
    ["ldap_uid", "ldapUid"],
  ],
  oidc: [
    ["oidc_name", "oidcName"],
    ["oidc_endpoint", "oidcEndpoint"],
    ["oidc_client_id", "oidcClientId"],
    ["oidc_scope", "oidcScope"],
  ],
} as const;

/** Authentication settings (GET/PUT /configurations): the mode and its LDAP or OIDC fields. */
export function ConfigurationPage() {
  const { t } = useTranslation();
  const settings = useQuery({ queryKey: ["configurations"], queryFn: () => json<Settings>("/configurations") });
  const [values, setValues] = useState<Record<string, string | boolean | number>>({});
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  useEffect(() => {
    if (!settings.data) return;
    setValues(Object.fromEntries(Object.entries(settings.data).map(([k, v]) => [k, (v?.value ?? "") as string | boolean | number])));
  }, [settings.data]);
  const mode = String(values["auth_mode"] ?? "db_auth");
  const save = useWrite(() => {
    const keys = ["auth_mode", "token_expiration", ...(mode === "ldap_auth" ? TEXT_KEYS.ldap.map(([k]) => k) : []), ...(mode === "oidc_auth" ? [...TEXT_KEYS.oidc.map(([k]) => k), "oidc_auto_onboard"] : [])];
    const body: Record<string, unknown> = Object.fromEntries(keys.filter((k) => values[k] !== undefined && values[k] !== "").map((k) => [k, values[k]]));
    for (const [k, v] of Object.entries(secrets)) if (v) body[k] = v;
    return json("/configurations", { method: "PUT", body });
  }, [["configurations"], ["systeminfo"]]);
  const textField = (key: string, label: string) => (
    <TextInput key={key} label={t(`configuration.${label}`)} value={String(values[key] ?? "")} onChange={(e) => setValues({ ...values, [key]: e.currentTarget.value })} />
  );
  return (
    <Stack maw={640}>
      <Title order={1} size="h2">
        {t("configuration.title")}
      </Title>
      <ErrorAlert error={settings.error ?? save.error} />
      {save.isSuccess && <Alert color="teal">{t("configuration.saved")}</Alert>}
      {settings.data && (
        <Card withBorder>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              save.mutate(undefined);
            }}
          >
            <Stack>
              <Text size="sm" fw={500} id="auth-mode-label">
                {t("configuration.mode")}
              </Text>
              <SegmentedControl
                aria-labelledby="auth-mode-label"
                value={mode}
                onChange={(v) => setValues({ ...values, auth_mode: v })}
                data={[
                  { value: "db_auth", label: t("configuration.db") },
                  { value: "ldap_auth", label: t("configuration.ldap") },
                  { value: "oidc_auth", label: t("configuration.oidc") },
                ]}
              />
              {mode === "ldap_auth" && (
                <>
                  {TEXT_KEYS.ldap.map(([k, l]) => textField(k, l))}
                  <PasswordInput label={t("configuration.ldapSearchPassword")} autoComplete="off" value={secrets["ldap_search_password"] ?? ""} onChange={(e) => setSecrets({ ...secrets, ldap_search_password: e.currentTarget.value })} />
                </>
              )}
              {mode === "oidc_auth" && (
                <>
                  {TEXT_KEYS.oidc.map(([k, l]) => textField(k, l))}
                  <PasswordInput label={t("configuration.oidcClientSecret")} autoComplete="off" value={secrets["oidc_client_secret"] ?? ""} onChange={(e) => setSecrets({ ...secrets, oidc_client_secret: e.currentTarget.value })} />
                  <Checkbox label={t("configuration.oidcAutoOnboard")} checked={values["oidc_auto_onboard"] === true} onChange={(e) => setValues({ ...values, oidc_auto_onboard: e.currentTarget.checked })} />
                </>
              )}
              {values["token_expiration"] !== undefined && values["token_expiration"] !== "" && (
                <NumberInput label={t("configuration.sessionTimeout")} value={Number(values["token_expiration"])} onChange={(v) => setValues({ ...values, token_expiration: Number(v) })} min={1} />
              )}
              <Group>
                <Button type="submit" loading={save.isPending}>
                  {t("common.save")}
                </Button>
              </Group>
            </Stack>
          </form>
        </Card>
      )}
    </Stack>
  );
}
