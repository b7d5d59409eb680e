import { isAbsolute, resolve } from "node:path";
import { flag, httpUrl, logLevel, parseConfig, port, z } from "@berth/config";
import { trustedProxiesProblems } from "./nginx.js";

const schema = z.object({
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
});

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
}

/** The launcher's settings from `BERTH_*` variables (empty values count as unset). */
export function loadLocalConfig(env: NodeJS.ProcessEnv, cwd: string): LocalStackConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith("BERTH_") && v !== ""));
  const parsed = parseConfig(schema, present);
  return {
    dataDir: isAbsolute(parsed.BERTH_DATA_DIR) ? parsed.BERTH_DATA_DIR : resolve(cwd, parsed.BERTH_DATA_DIR),
    httpHost: parsed.BERTH_HTTP_HOST,
    httpPort: parsed.BERTH_HTTP_PORT,
    adminPassword: parsed.BERTH_ADMIN_PASSWORD,
    externalUrl: parsed.BERTH_EXTERNAL_URL,
    logLevel: parsed.BERTH_LOG_LEVEL,
    pgBinDir: parsed.BERTH_PG_BIN_DIR,
    restartChildren: parsed.BERTH_RESTART_CHILDREN,
    echoLogs: parsed.BERTH_ECHO_LOGS,
  };
}
