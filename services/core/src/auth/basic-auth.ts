/** `Authorization: Basic …` credentials. */

/** What a Basic header carried; `malformed` says why it could not be read. */
export type BasicCredentials = { username: string; password: string } | { malformed: string };

/**
 * Parses `Authorization: Basic …`: `undefined` when absent or another scheme, `{malformed}` when it
 * cannot be credentials — bad base64, no `:`, an empty username, or a NUL, which no account's name
 * or secret holds and PostgreSQL cannot compare.
 */
export function parseBasicAuth(header: string | undefined): BasicCredentials | undefined {
  if (!header || !/^Basic(\s|$)/i.test(header)) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match?.[1]) return { malformed: "malformed Basic credentials" };
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) return { malformed: "malformed Basic credentials: expected username:password" };
  if (decoded.includes("\0")) return { malformed: "malformed Basic credentials: NUL is not allowed" };
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
