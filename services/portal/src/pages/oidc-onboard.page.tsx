// `/oidc-onboard?username=<suggestion>`: where core's OIDC callback sends a new identity when
// automatic on-boarding is off. The chosen name goes to POST /c/oidc/onboard, which starts the session.
import { Alert, Button, Center, Paper, Stack, Text, TextInput, Title } from "@mantine/core";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate, useSearchParams } from "react-router-dom";
import { ApiError, request } from "../api/client.js";

export function OidcOnboardPage() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const client = useQueryClient();
  const [username, setUsername] = useState(params.get("username") ?? "");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  return (
    <Center mih="100vh" p="md" component="main">
      <Paper withBorder shadow="sm" p="xl" w={420}>
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            setBusy(true);
            setError("");
            try {
              await request("/c/oidc/onboard", { method: "POST", body: { username } });
              await client.resetQueries();
              navigate("/projects", { replace: true });
            } catch (err) {
              setError(err instanceof ApiError ? err.message : String(err));
            } finally {
              setBusy(false);
            }
          }}
        >
          <Stack>
            <Title order={1} size="h3">
              {t("onboard.title")}
            </Title>
            <Text size="sm">{t("onboard.help")}</Text>
            {error && (
              <Alert color="red" role="alert">
                {error}
              </Alert>
            )}
            <TextInput label={t("signIn.username")} required value={username} onChange={(e) => setUsername(e.currentTarget.value)} />
            <Button type="submit" loading={busy}>
              {t("onboard.submit")}
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
