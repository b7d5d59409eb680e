// Who is signed in (GET /users/current; 401 means nobody) and what the server is (systeminfo).
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError, forgetCsrfToken, json, request } from "../api/client.js";
import type { SystemInfo, UserResp } from "../api/types.js";

export function useCurrentUser() {
  return useQuery({
    queryKey: ["current-user"],
    queryFn: async () => {
      try {
        return await json<UserResp>("/users/current");
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return null;
        throw err;
      }
    },
    staleTime: 60_000,
  });
}

export function useSystemInfo() {
  return useQuery({ queryKey: ["systeminfo"], queryFn: () => json<SystemInfo & { berth_version?: string; external_url?: string }>("/systeminfo"), staleTime: 300_000 });
}

/** The host clients push to and pull from: the registry URL core announces, else this page's. */
export function useRegistryHost(): string {
  const info = useSystemInfo().data;
  const url = info?.registry_url;
  if (url) return url.replace(/^https?:\/\//, "").replace(/\/+$/, "");
  return window.location.host;
}

export function useSignIn() {
  const client = useQueryClient();
  return async (principal: string, password: string) => {
    await request("/c/login", { method: "POST", form: { principal, password } });
    await client.resetQueries();
  };
}

/** Ends the session, then loads the app afresh: nothing the signed-in user saw stays in memory. */
export function useSignOut() {
  return async () => {
    await request("/c/log_out");
    forgetCsrfToken();
    window.location.assign("/");
  };
}
