// The API's error text (`{errors:[{code,message}]}`, with its code), or any other error's message.
import { Alert } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { ApiError } from "../api/client.js";

export function ErrorAlert({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (!error) return null;
  const message = error instanceof ApiError ? `${error.message} (${error.code})` : error instanceof Error ? error.message : String(error);
  return (
    <Alert color="red" title={t("common.error")} role="alert" my="sm">
      {message}
    </Alert>
  );
}
