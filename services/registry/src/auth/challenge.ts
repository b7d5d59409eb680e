/** The `WWW-Authenticate: Bearer …` challenge of the Docker token protocol. */

/** An access a request needs: `repository:<name>:<actions>` or `registry:catalog:*`. */
export interface RequiredAccess {
  type: "repository" | "registry";
  name: string;
  actions: string[];
}

/** `scope` value: each access as `type:name:action,action`, space-separated. */
export function scopeOf(access: readonly RequiredAccess[]): string {
  return access.map((a) => `${a.type}:${a.name}:${a.actions.join(",")}`).join(" ");
}

/** Parameters of a challenge. */
export interface ChallengeParams {
  realm: string;
  service: string;
  access?: readonly RequiredAccess[];
  error?: "invalid_token" | "insufficient_scope";
}

/** The `WWW-Authenticate` header value. */
export function bearerChallenge(params: ChallengeParams): string {
  const parts = [`realm=${quote(params.realm)}`, `service=${quote(params.service)}`];
  if (params.access && params.access.length > 0) parts.push(`scope=${quote(scopeOf(params.access))}`);
  if (params.error) parts.push(`error=${quote(params.error)}`);
  return `Bearer ${parts.join(",")}`;
}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, "\\$&")}"`;
}
