import { isAbsolute, resolve } from "node:path";
import { flag, httpUrl, logLevel, parseConfig, port, z } from "@berth/config";
import { refineTls, tlsEnv, tlsSource, type TlsSource } from "@berth/tls";
import { trustedProxiesProblems } from "./nginx.js";

const schema = z
  .object({
    BERTH_DATA_DIR: z.string().default("./.data"),
    BERTH_HTTP_HOST: z.string().default("127.0.0.1"),
    BERTH_HTTP_PORT: port.default(8080),
    BERTH_ADMIN_PASSWORD: z.string().optional(),
    BERTH_EXTERNAL_URL: httpUrl.optional(),
    BERTH_LOG_LEVEL: logLevel.default("info"),
    /** Where initdb and postgres are, when not in /usr/lib/postgresql/<v>/bin. */
    BERTH_PG_BIN_DIR: z.string().optional(),
    /** Restart a process that dies on its own (with backoff); `0` stops the stack instead. */
    BERTH_RESTART_CHILDREN: flag.default(true),
    /** `1`: the terminal also shows every info line (not only warnings and errors). */
    BERTH_ECHO_LOGS: flag.default(false),
    /** Read by nginx.ts when it renders the proxy's config; checked here so a wrong value stops the launcher at once. */
    BERTH_TRUSTED_PROXIES: z.string().optional().superRefine((v, ctx) => trustedProxiesProblems(v).forEach((message) => ctx.addIssue({ code: "custom", message }))),
    ...tlsEnv,
  })
  .check(
    z.superRefine(
      (env, ctx) => {
        refineTls(env, ctx);
        if (tlsSource(env) && env.BERTH_HTTPS_PORT === env.BERTH_HTTP_PORT) {
          ctx.addIssue({ code: "custom", message: `the same port as BERTH_HTTP_PORT (${env.BERTH_HTTP_PORT}); HTTPS needs a port of its own`, path: ["BERTH_HTTPS_PORT"] });
        }
      },
      // Also when other variables are wrong: every problem is reported at once.
      { when: () => true },
    ),
  );

/** HTTPS at the front door (see @berth/tls); the files' paths are absolute. */
export interface LocalTls {
  source: TlsSource;
  /** nginx's HTTPS port. */
  port: number;
  hstsMaxAge: number;
}

export interface LocalStackConfig {
  /** Absolute. */
  dataDir: string;
  httpHost: string;
  httpPort: number;
  adminPassword: string | undefined;
  externalUrl: string | undefined;
  logLevel: string;
  pgBinDir: string | undefined;
  restartChildren: boolean;
  echoLogs: boolean;
  /** Unset: plain HTTP only. */
  tls: LocalTls | undefined;
}

/** The launcher's settings from `BERTH_*` variables (empty values count as unset). */
export function loadLocalConfig(env: NodeJS.ProcessEnv, cwd: string): LocalStackConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith("BERTH_") && v !== ""));
  const parsed = parseConfig(schema, present);
  const source = tlsSource(parsed);
  const absolute = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  return {
    dataDir: absolute(parsed.BERTH_DATA_DIR),
    httpHost: parsed.BERTH_HTTP_HOST,
    httpPort: parsed.BERTH_HTTP_PORT,
    adminPassword: parsed.BERTH_ADMIN_PASSWORD,
    externalUrl: parsed.BERTH_EXTERNAL_URL,
    logLevel: parsed.BERTH_LOG_LEVEL,
    pgBinDir: parsed.BERTH_PG_BIN_DIR,
    restartChildren: parsed.BERTH_RESTART_CHILDREN,
    echoLogs: parsed.BERTH_ECHO_LOGS,
    tls: source && {
      source: source.kind === "files" ? { ...source, certFile: absolute(source.certFile), keyFile: absolute(source.keyFile) } : source,
      port: parsed.BERTH_HTTPS_PORT,
      hstsMaxAge: parsed.BERTH_TLS_HSTS_MAX_AGE,
    },
  };
}
