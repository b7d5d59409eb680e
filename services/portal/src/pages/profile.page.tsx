import { Alert, Button, Card, Code, Group, PasswordInput, Stack, Text, TextInput, Title } from "@mantine/core";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { json } from "../api/client.js";
import { useWrite } from "../api/queries.js";
import type { UserResp } from "../api/types.js";
import { useCurrentUser, useSignOut } from "../app/session.js";
import { CopyText, ErrorAlert } from "../components/feedback.js";

export function ProfilePage() {
  const { t } = useTranslation();
  const me = useCurrentUser().data!;
  return (
    <Stack maw={560}>
      <Title order={1} size="h2">
        {t("profile.title")}
      </Title>
      <Text>
        <b>{me.username}</b>
      </Text>
      <Details me={me} />
      {me.oidc_user_meta ? <CliSecret me={me} /> : <Password me={me} />}
    </Stack>
  );
}

function Details({ me }: { me: UserResp }) {
  const { t } = useTranslation();
  const [email, setEmail] = useState(me.email ?? "");
  const [realname, setRealname] = useState(me.realname ?? "");
  const [comment, setComment] = useState(me.comment ?? "");
  const save = useWrite(() => json(`/users/${me.user_id}`, { method: "PUT", body: { email, realname, comment } }), [["current-user"]]);
  return (
    <Card withBorder>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate(undefined);
        }}
      >
        <Stack>
          <ErrorAlert error={save.error} />
          {save.isSuccess && <Alert color="teal">{t("profile.saved")}</Alert>}
          <TextInput label={t("profile.email")} type="email" value={email} onChange={(e) => setEmail(e.currentTarget.value)} />
          <TextInput label={t("profile.realname")} value={realname} onChange={(e) => setRealname(e.currentTarget.value)} />
          <TextInput label={t("profile.comment")} value={comment} onChange={(e) => setComment(e.currentTarget.value)} />
          <Group>
            <Button type="submit" loading={save.isPending}>
              {t("common.save")}
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

function Password({ me }: { me: UserResp }) {
  const { t } = useTranslation();
  const signOut = useSignOut();
  const [oldPassword, setOld] = useState("");
  const [newPassword, setNew] = useState("");
  const change = useWrite(() => json(`/users/${me.user_id}/password`, { method: "PUT", body: { old_password: oldPassword, new_password: newPassword } }), []);
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="sm">
        {t("profile.password")}
      </Title>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          // The server ends every session of the user on a password change: sign in again.
          await change.mutateAsync(undefined).then(() => signOut(), () => undefined);
        }}
      >
        <Stack>
          <ErrorAlert error={change.error} />
          <PasswordInput label={t("profile.oldPassword")} autoComplete="current-password" required value={oldPassword} onChange={(e) => setOld(e.currentTarget.value)} />
          <PasswordInput label={t("profile.newPassword")} autoComplete="new-password" required value={newPassword} onChange={(e) => setNew(e.currentTarget.value)} />
          <Group>
            <Button type="submit" loading={change.isPending}>
              {t("profile.password")}
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

function CliSecret({ me }: { me: UserResp }) {
  const { t } = useTranslation();
  const secret = (me.oidc_user_meta as { secret?: string } | undefined)?.secret ?? "";
  const regenerate = useWrite(() => json(`/users/${me.user_id}/cli_secret`, { method: "PUT", body: {} }), [["current-user"]]);
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="sm">
        {t("profile.cliSecret")}
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        {t("profile.cliSecretHelp")}
      </Text>
      <ErrorAlert error={regenerate.error} />
      <Group gap="xs">
        <Code data-testid="cli-secret">{secret}</Code>
        <CopyText value={secret} label={t("profile.cliSecret")} />
        <Button variant="light" size="xs" loading={regenerate.isPending} onClick={() => regenerate.mutate(undefined)}>
          {t("profile.regenerate")}
        </Button>
      </Group>
    </Card>
  );
}
