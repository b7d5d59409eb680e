/**
 * The OIDC relying party (through `openid-client`, a certified implementation): discovery,
 * the authorization-code flow with PKCE, ID-token verification (signature, issuer, audience,
 * expiry, nonce) and refresh. Every call to the provider is bounded; a provider that cannot be
 * reached is {@link IdentityProviderUnavailableError}, a provider that refuses (an `error` in its
 * answer) is {@link OidcRefusedError}.
 */
import * as client from "openid-client";
import { Agent, fetch as undiciFetch } from "undici";
import { IdentityProviderUnavailableError } from "../../errors.js";
import type { OidcSettings } from "../auth-settings.js";

/** Tokens as Berth keeps them (sealed) for an OIDC user. */
export interface OidcTokens {
  idToken: string;
  refreshToken?: string | undefined;
  accessToken?: string | undefined;
}

/** What a verified ID token says about the user. */
export interface OidcIdentity {
  /** `sub` + `iss`: the user's one identity at this provider. */
  subiss: string;
  /** The value of the username claim (`oidc_user_claim`, else `name`), or "" when absent. */
  username: string;
  email: string;
  realname: string;
  /** Groups of the groups claim that pass `oidc_group_filter`. */
  groups: string[];
  /** Whether one of them is `oidc_admin_group`. */
  admin: boolean;
  /** When the ID token expires. */
  expiresAt: Date;
}

/** The provider answered with an OAuth error (a refused refresh, a denied login). */
export class OidcRefusedError extends Error {
  override name = "OidcRefusedError";
}

/** Longest wait for any request to the provider. */
const PROVIDER_TIMEOUT_SECONDS = 10;

export class OidcClient {
  private cached: { key: string; config: Promise<client.Configuration> } | undefined;

  /** The discovered provider for `s` (discovery runs again when the settings change or it failed). */
  configuration(s: OidcSettings): Promise<client.Configuration> {
    const key = JSON.stringify([s.endpoint, s.clientId, s.clientSecret, s.verifyCert, s.caCert]);
    if (this.cached?.key !== key) {
      const config = this.discover(s);
      this.cached = { key, config };
      config.catch(() => {
        if (this.cached?.config === config) this.cached = undefined;
      });
    }
    return this.cached.config;
  }

  private async discover(s: OidcSettings): Promise<client.Configuration> {
    const dispatcher = new Agent({ connect: { rejectUnauthorized: s.verifyCert, ...(s.caCert !== "" && { ca: s.caCert }) } });
    const fetchVia: client.CustomFetch = (url, options) => undiciFetch(url, { ...options, dispatcher } as Parameters<typeof undiciFetch>[1]) as unknown as Promise<Response>;
    const insecure = new URL(s.endpoint).protocol === "http:"; // loopback only (checked when set)
    const config = await this.call("discovery", () =>
      client.discovery(new URL(s.endpoint), s.clientId, s.clientSecret, client.ClientSecretBasic(s.clientSecret), {
        [client.customFetch]: fetchVia,
        timeout: PROVIDER_TIMEOUT_SECONDS,
        ...(insecure && { execute: [client.allowInsecureRequests] }),
      }),
    );
    config[client.customFetch] = fetchVia;
    config.timeout = PROVIDER_TIMEOUT_SECONDS;
    return config;
  }

  /** The provider's authorization URL for a login with these checks. */
  async authorizationUrl(s: OidcSettings, redirectUri: string, checks: { state: string; nonce: string; codeVerifier: string }): Promise<URL> {
    const config = await this.configuration(s);
    const params: Record<string, string> = {
      redirect_uri: redirectUri,
      scope: s.scope.join(" "),
      state: checks.state,
      nonce: checks.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(checks.codeVerifier),
      code_challenge_method: "S256",
      // OIDC Core §11: a request for offline_access (a refresh token) must ask for consent.
      ...(s.scope.includes("offline_access") && { prompt: "consent" }),
      ...s.extraRedirectParams,
    };
    return client.buildAuthorizationUrl(config, params);
  }

  /** Exchanges the callback's code (checking state, nonce and PKCE) for verified tokens. */
  async exchange(s: OidcSettings, callbackUrl: URL, checks: { state: string; nonce: string; codeVerifier: string }): Promise<{ tokens: OidcTokens; identity: OidcIdentity }> {
    const config = await this.configuration(s);
    const response = await this.call("code exchange", () =>
      client.authorizationCodeGrant(config, callbackUrl, { expectedState: checks.state, expectedNonce: checks.nonce, pkceCodeVerifier: checks.codeVerifier, idTokenExpected: true }),
    );
    return this.result(s, response);
  }

  /** Refreshes with `refreshToken`; the answer must carry a new, valid ID token. */
  async refresh(s: OidcSettings, refreshToken: string): Promise<{ tokens: OidcTokens; identity: OidcIdentity }> {
    const config = await this.configuration(s);
    const response = await this.call("refresh", () => client.refreshTokenGrant(config, refreshToken));
    if (!response.id_token) throw new OidcRefusedError("the provider's refresh answer has no ID token (is the openid scope granted?)");
    return this.result(s, response, refreshToken);
  }

  private result(s: OidcSettings, response: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers, previousRefresh?: string) {
    const claims = response.claims();
    if (!claims || !response.id_token) throw new OidcRefusedError("the provider answered without an ID token");
    return {
      tokens: { idToken: response.id_token, refreshToken: response.refresh_token ?? previousRefresh, accessToken: response.access_token },
      identity: identityOf(s, claims),
    };
  }

  /** Runs a request to the provider, sorting its failures into refusals and unavailability. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof client.ResponseBodyError) {
        if (err.status >= 500) throw new IdentityProviderUnavailableError(`the OIDC provider failed (${what}): ${err.status} ${err.error}`);
        throw new OidcRefusedError(`the OIDC provider refused the ${what}: ${err.error}${err.error_description ? ` (${err.error_description})` : ""}`);
      }
      if (err instanceof client.AuthorizationResponseError) throw new OidcRefusedError(`the OIDC provider refused the login: ${err.error}${err.error_description ? ` (${err.error_description})` : ""}`);
      if (err instanceof client.ClientError && err.code !== "OAUTH_TIMEOUT" && !(err.cause instanceof Error && isNetworkError(err.cause))) {
        // The answer was there but did not verify (a bad ID token, state or nonce): a refusal.
        throw new OidcRefusedError(`OIDC ${what} failed: ${err.message}`);
      }
      throw new IdentityProviderUnavailableError(`the OIDC provider is unreachable (${what}): ${describe(err)}`);
    }
  }
}

function isNetworkError(err: Error): boolean {
  return err.name === "TypeError" || err.name === "AbortError" || err.name === "TimeoutError" || "code" in err;
}

function describe(err: unknown): string {
  const e = err as Error & { cause?: unknown };
  const cause = e.cause instanceof Error ? `: ${describe(e.cause)}` : "";
  return `${e.message ?? String(err)}${cause}`;
}

/** What the claims of a verified ID token say, under the settings' claim names and filters. */
export function identityOf(s: OidcSettings, claims: client.IDToken): OidcIdentity {
  const str = (name: string) => (typeof claims[name] === "string" ? (claims[name] as string) : "");
  const raw = s.groupsClaim !== "" ? claims[s.groupsClaim] : undefined;
  const all = Array.isArray(raw) ? raw.filter((g): g is string => typeof g === "string") : typeof raw === "string" ? [raw] : [];
  const filter = s.groupFilter !== "" ? new RegExp(s.groupFilter) : undefined;
  const groups = [...new Set(all.filter((g) => g !== "" && (!filter || filter.test(g))))];
  return {
    subiss: `${claims.sub}${claims.iss}`,
    username: str(s.userClaim !== "" ? s.userClaim : "name"),
    email: str("email"),
    realname: str("name"),
    groups,
    admin: s.adminGroup !== "" && all.includes(s.adminGroup),
    expiresAt: new Date(claims.exp * 1000),
  };
}
