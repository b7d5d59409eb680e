import { Alert, Button, Center, Divider, Group, Paper, PasswordInput, SegmentedControl, Stack, TextInput, Title } from "@mantine/core";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError } from "../api/client.js";
import { useSignIn, useSystemInfo } from "../app/session.js";
import { LANGUAGES, setLanguage } from "../i18n/i18n.js";

export function SignInPage() {
  const { t, i18n } = useTranslation();
  const signIn = useSignIn();
  const info = useSystemInfo().data;
  const [principal, setPrincipal] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  return (
    <Center mih="100vh" p="md" component="main">
      <Paper withBorder shadow="sm" p="xl" w={380} radius="md">
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            setBusy(true);
            setError("");
            try {
              await signIn(principal, password);
            } catch (err) {
              setError(err instanceof ApiError ? err.message : String(err));
            } finally {
              setBusy(false);
            }
          }}
        >
          <Stack>
            <Group justify="space-between">
              <Title order={1} size="h3">
                ⚓ {t("signIn.title")}
              </Title>
            </Group>
            {error && (
              <Alert color="red" role="alert">
                {t("signIn.failed", { message: error })}
              </Alert>
            )}
            <TextInput label={t("signIn.username")} name="principal" autoComplete="username" required value={principal} onChange={(e) => setPrincipal(e.currentTarget.value)} />
            <PasswordInput label={t("signIn.password")} name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
            <Button type="submit" loading={busy}>
              {t("signIn.submit")}
            </Button>
            {info?.auth_mode === "oidc_auth" && (
              <>
                <Divider />
                <Button component="a" href="/c/oidc/login" variant="light">
                  {t("signIn.oidc", { provider: (info as { oidc_provider_name?: string }).oidc_provider_name ?? "OIDC" })}
                </Button>
              </>
            )}
            <SegmentedControl size="xs" value={i18n.language} onChange={setLanguage} data={[...LANGUAGES]} aria-label={t("app.language")} />
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
