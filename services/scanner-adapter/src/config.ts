import { backendConfig, flag, httpUrl, int, z, parseConfig, serviceEnv, databaseEnv, redisEnv } from "@berth/config";
import { InvalidCronError, validateCron } from "@berth/queue/cron";
import { dataKeyPath } from "@berth/secrets";

const schema = z
  .object({
    ...serviceEnv,
    ...databaseEnv,
    ...redisEnv,
    BERTH_DATA_DIR: z.string().min(1).default("./.data"),
    /** The data key; the default API key is derived from it. Default `${BERTH_DATA_DIR}/secrets/data-key`. */
    BERTH_DATA_KEY_FILE: z.string().min(1).optional(),
    /** The API key callers must present; default: derived from the data key (core registers it). */
    BERTH_SCANNER_API_KEY: z.string().min(16, "must be at least 16 characters").optional(),
    /** Scans run at once in this process. */
    BERTH_SCANNER_CONCURRENCY: int(1, 16).default(2),
    /** A directory of OSV records and/or zips imported at start-up (the offline way to fill the database). */
    BERTH_SCANNER_DB_DIR: z.string().min(1).optional(),
    /** A URL serving an OSV zip, downloaded on the schedule below (the online way). */
    BERTH_SCANNER_DB_URL: httpUrl.optional(),
    /** When to download BERTH_SCANNER_DB_URL (Harbor's six-field cron, UTC). */
    BERTH_SCANNER_DB_UPDATE_CRON: z
      .string()
      .default("0 0 */6 * * *")
      .superRefine((v, ctx) => {
        try {
          validateCron(v);
        } catch (err) {
          if (err instanceof InvalidCronError) ctx.addIssue({ code: "custom", message: err.message });
          else throw err;
        }
      }),
    /** Where archives and databases found in layers are spilled while read (default: the OS's temp dir). */
    BERTH_SCANNER_TEMP_DIR: z.string().min(1).optional(),
    BERTH_DEBUG_MEMORY: flag.default(false),
  })
  .transform((env) => ({
    ...backendConfig(env),
    dataKeyFile: env.BERTH_DATA_KEY_FILE ?? dataKeyPath(env.BERTH_DATA_DIR),
    apiKey: env.BERTH_SCANNER_API_KEY,
    concurrency: env.BERTH_SCANNER_CONCURRENCY,
    db: { dir: env.BERTH_SCANNER_DB_DIR, url: env.BERTH_SCANNER_DB_URL, cron: env.BERTH_SCANNER_DB_UPDATE_CRON },
    tempDir: env.BERTH_SCANNER_TEMP_DIR,
    debugMemory: env.BERTH_DEBUG_MEMORY,
  }));

export type ScannerAdapterConfig = z.output<typeof schema>;

export function loadConfig(env: Record<string, string | undefined>): ScannerAdapterConfig {
  return parseConfig(schema, env);
}
