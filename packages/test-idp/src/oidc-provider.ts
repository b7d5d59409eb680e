// A real OpenID provider for tests: panva's `oidc-provider` (a certified implementation) over
// HTTPS with a private CA, one confidential client, users with passwords and a `groups` claim,
// a plain login page (the interaction a browser or an HTTP client walks) and automatic consent.
// Users can be disabled (refreshes then fail, as with a provider that removed them) and the
// provider stopped and restarted on the same port (an unreachable provider).
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Provider, { type Configuration } from "oidc-provider";
import { freePort } from "./ports.js";
import { makeTestTls, type TestTls } from "./tls.js";

export interface OidcTestUser {
  id: string;
  password: string;
  /** The `preferred_username` claim (Berth's username claim in the tests). */
  username: string;
  name?: string;
  email?: string;
  groups: string[];
  disabled?: boolean;
}

export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  tls: TestTls;
  users: Map<string, OidcTestUser>;
  /** Logins that reached the provider's login form and succeeded. */
  logins: number;
  /** Refresh-token grants the provider answered (successfully or not). */
  refreshes: number;
  /** Stops answering: the port is closed, connections refused. */
  pause(): Promise<void>;
  /** Answers again on the same port. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

export interface OidcProviderOptions {
  redirectUris: string[];
  users: OidcTestUser[];
  /** ID-token and access-token lifetime in seconds (short, to exercise refreshes). */
  idTokenTtlSeconds?: number;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid: string, error?: string): string {
  return `<!doctype html><html><head><title>Test provider sign-in</title></head><body>
<h1>Sign in to the test provider</h1>${error ? `<p id="error">${esc(error)}</p>` : ""}
<form method="post" action="/interaction/${esc(uid)}/login">
<label>Username <input name="login" id="login" autocomplete="username"></label>
<label>Password <input name="password" id="password" type="password" autocomplete="current-password"></label>
<button type="submit" id="submit">Sign in</button>
</form></body></html>`;
}

async function formBody(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

export async function startOidcProvider(options: OidcProviderOptions): Promise<TestOidcProvider> {
  const dir = mkdtempSync(join(tmpdir(), "berth-oidc-"));
  const tls = makeTestTls(dir, "oidc-provider");
  const port = await freePort();
  const issuer = `https://127.0.0.1:${port}`;
  const clientId = "berth";
  const clientSecret = randomBytes(24).toString("base64url");
  const users = new Map(options.users.map((u) => [u.id, u]));
  const ttl = options.idTokenTtlSeconds ?? 3600;
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: "jwk" }), kid: "test-key", alg: "RS256", use: "sig" };

  const configuration: Configuration = {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris,
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    jwks: { keys: [jwk as never] },
    cookies: { keys: [randomBytes(32).toString("hex")] },
    claims: { openid: ["sub"], profile: ["name", "preferred_username"], email: ["email"], groups: ["groups"] },
    scopes: ["openid", "offline_access", "profile", "email", "groups"],
    // Claims go into the ID token of the code flow too (Harbor reads groups from the ID token).
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    ttl: { IdToken: ttl, AccessToken: ttl, RefreshToken: 86_400, Grant: 86_400, Session: 86_400, Interaction: 600 },
    async findAccount(_ctx, id) {
      const user = users.get(id);
      if (!user || user.disabled) return undefined;
      return {
        accountId: id,
        async claims() {
          return { sub: id, name: user.name ?? user.username, preferred_username: user.username, email: user.email ?? `${user.username}@oidc.berth.test`, groups: user.groups };
        },
      };
    },
  };
  const provider = new Provider(issuer, configuration);
  const state = { logins: 0, refreshes: 0 };
  provider.on("grant.success", (ctx) => {
    if (ctx.oidc.params?.["grant_type"] === "refresh_token") state.refreshes++;
  });
  provider.on("grant.error", (ctx) => {
    if (ctx.oidc.params?.["grant_type"] === "refresh_token") state.refreshes++;
  });
  const callback = provider.callback();

  async function interaction(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    const uid = details.uid;
    if (req.method === "POST" && req.url?.endsWith("/login")) {
      const form = await formBody(req);
      const user = [...users.values()].find((u) => u.username === form.get("login"));
      if (!user || user.password !== form.get("password") || user.disabled) {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(loginPage(uid, "Wrong username or password."));
        return;
      }
      state.logins++;
      await provider.interactionFinished(req, res, { login: { accountId: user.id } }, { mergeWithLastSubmission: false });
      return;
    }
    if (details.prompt.name === "login") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(loginPage(uid));
      return;
    }
    // Consent: grant what the client asked for.
    const accountId = details.session?.accountId;
    if (!accountId) throw new Error("consent without a session");
    const grant = details.grantId ? ((await provider.Grant.find(details.grantId)) ?? new provider.Grant({ accountId, clientId })) : new provider.Grant({ accountId, clientId });
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(" "));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith("/interaction/")) {
      interaction(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end(`interaction failed: ${(err as Error).message}`);
      });
      return;
    }
    callback(req, res);
  };

  let server: Server | undefined;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer({ key: tls.key, cert: tls.cert }, handler);
      s.once("error", reject);
      s.listen({ host: "127.0.0.1", port }, () => {
        server = s;
        resolve();
      });
    });
  const close = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  };
  await listen();

  return {
    issuer,
    clientId,
    clientSecret,
    tls,
    users,
    get logins() {
      return state.logins;
    },
    get refreshes() {
      return state.refreshes;
    },
    pause: close,
    resume: listen,
    async stop() {
      await close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
