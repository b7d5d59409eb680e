/**
 * The settings of HTTPS at the front door (ARCHITECTURE.md, shared contracts), read by every
 * program that needs them: the launcher (`npm start`), the compose file's `prepare` step, and —
 * in shell — the proxy image's renderer (deploy/docker/proxy/render-config.sh).
 */
import { int, port, z } from "@berth/config";

/** `BERTH_TLS`'s one mode: a certificate made on the first start (see {@link ensureSelfSignedTls}). */
export const SELF_SIGNED = "self-signed";

/** The variables, to spread into a program's zod schema (empty values already dropped). */
export const tlsEnv = {
  /** `self-signed`: a CA and a server certificate generated on the first start. */
  BERTH_TLS: z.enum([SELF_SIGNED], { error: `must be "${SELF_SIGNED}" (or unset: HTTPS from BERTH_TLS_CERT and BERTH_TLS_KEY, or none)` }).optional(),
  /** PEM: the server's certificate first, then its chain. */
  BERTH_TLS_CERT: z.string().optional(),
  /** PEM, unencrypted. */
  BERTH_TLS_KEY: z.string().optional(),
  /** The port HTTPS is served on (and the HTTP port redirects to). */
  BERTH_HTTPS_PORT: port.default(8443),
  /** `Strict-Transport-Security: max-age=<seconds>` on HTTPS answers; 0: no such header. */
  BERTH_TLS_HSTS_MAX_AGE: int(0, 63_072_000).default(0),
};

/** The variables as parsed by {@link tlsEnv}. */
export interface TlsEnv {
  BERTH_TLS?: typeof SELF_SIGNED | undefined;
  BERTH_TLS_CERT?: string | undefined;
  BERTH_TLS_KEY?: string | undefined;
  BERTH_HTTPS_PORT: number;
  BERTH_TLS_HSTS_MAX_AGE: number;
}

/** Where the certificate nginx serves comes from; `undefined` when HTTPS is off. */
export type TlsSource = { kind: "self-signed" } | { kind: "files"; certFile: string; keyFile: string };

/** A wrong combination of the variables: which one, and why. */
export interface TlsProblem {
  variable: keyof TlsEnv;
  message: string;
}

/** What is wrong with the combination (none: fine). */
export function tlsProblems(env: Pick<TlsEnv, "BERTH_TLS" | "BERTH_TLS_CERT" | "BERTH_TLS_KEY">): TlsProblem[] {
  const cert = env.BERTH_TLS_CERT !== undefined;
  const key = env.BERTH_TLS_KEY !== undefined;
  if (env.BERTH_TLS === SELF_SIGNED && (cert || key)) {
    return [{ variable: "BERTH_TLS", message: `"${SELF_SIGNED}" and BERTH_TLS_CERT/BERTH_TLS_KEY are both set; choose one (a generated certificate, or yours)` }];
  }
  if (cert && !key) return [{ variable: "BERTH_TLS_KEY", message: "required with BERTH_TLS_CERT (the certificate's private key, PEM)" }];
  if (key && !cert) return [{ variable: "BERTH_TLS_CERT", message: "required with BERTH_TLS_KEY (the certificate, PEM, with its chain after it)" }];
  return [];
}

/** {@link tlsProblems} as issues of a zod schema (`.superRefine(refineTls)`), so they are reported with the rest. */
export function refineTls(env: Pick<TlsEnv, "BERTH_TLS" | "BERTH_TLS_CERT" | "BERTH_TLS_KEY">, ctx: z.RefinementCtx): void {
  for (const p of tlsProblems(env)) ctx.addIssue({ code: "custom", message: p.message, path: [p.variable] });
}

/** The source of the front door's certificate; call after {@link tlsProblems} found nothing. */
export function tlsSource(env: Pick<TlsEnv, "BERTH_TLS" | "BERTH_TLS_CERT" | "BERTH_TLS_KEY">): TlsSource | undefined {
  if (env.BERTH_TLS === SELF_SIGNED) return { kind: "self-signed" };
  if (env.BERTH_TLS_CERT !== undefined && env.BERTH_TLS_KEY !== undefined) return { kind: "files", certFile: env.BERTH_TLS_CERT, keyFile: env.BERTH_TLS_KEY };
  return undefined;
}

/**
 * The names a generated server certificate carries: the external URL's host, and the loopback
 * names (`127.0.0.1`, `::1`, `localhost`) so the machine itself can always connect.
 */
export function frontDoorHosts(externalUrl: string): string[] {
  const host = new URL(externalUrl).hostname.replace(/^\[(.*)\]$/, "$1");
  return [...new Set([host, "127.0.0.1", "::1", "localhost"])];
}
