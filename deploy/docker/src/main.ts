/**
 * `prepare`: the compose file's one-shot first-start step (docs/deploy-compose.md). It runs
 * before core, the registry, jobservice and the scanner-adapter start, on every `up`:
 *   1. waits until PostgreSQL and Redis answer;
 *   2. applies the database migrations (`prisma migrate deploy`; Prisma's advisory lock makes a
 *      second, concurrent run wait instead of migrating twice);
 *   3. prepares the secrets volume (`${BERTH_DATA_DIR}/secrets`, 0700) and creates the data key in
 *      it on the first start (`BERTH_DATA_KEY_FILE`, default `secrets/data-key`, 32 bytes, 0600:
 *      it seals stored credentials, read by core and jobservice);
 *   4. with `BERTH_TLS=self-signed`, makes (or keeps) the front door's certificate there and
 *      prints its CA with how clients come to trust it (docs/deploy-compose.md).
 * Each step is one line below: what a later feature needs prepared on first start goes here.
 * Exits 0 when everything is ready, 1 with the reason when not, 2 on a bad setting.
 */
import { chmod, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError } from "@berth/config";
import { migrateDatabase } from "@berth/db";
import { closeLogger, createLogger } from "@berth/logger";
import { ensureDataKey } from "@berth/secrets";
import { loadPrepareConfig, type PrepareConfig } from "./prepare/config.js";
import { selfSignedCertificate } from "./prepare/tls.js";
import { postgresAnswers, redisAnswers, waitFor } from "./prepare/wait-for.js";

let config: PrepareConfig;
try {
  config = loadPrepareConfig(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`prepare: ${err.message}\n`);
  process.exit(2);
}

const logger = createLogger({ service: "prepare", level: config.logLevel, collectorUrl: config.logCollectorUrl });
let code = 0;
try {
  const started = Date.now();
  await waitFor("PostgreSQL", () => postgresAnswers(config.databaseUrl), config.timeoutMs, logger);
  await waitFor("Redis", () => redisAnswers(config.redisUrl, logger), config.timeoutMs, logger);
  await migrateDatabase(config.databaseUrl, (line) => logger.info(line, { module: "migrate" }));
  const secrets = join(config.dataDir, "secrets");
  await mkdir(secrets, { recursive: true, mode: 0o700 });
  await chmod(secrets, 0o700);
  if (ensureDataKey(config.dataKeyFile).created) logger.info(`created the data key ${config.dataKeyFile} (back it up with the database: stored credentials need it)`);
  if (config.tls?.kind === "self-signed") await selfSignedCertificate(config, logger);
  logger.info(`prepared in ${Date.now() - started} ms: database migrated, ${secrets} ready`);
} catch (err) {
  logger.error(`prepare failed: ${(err as Error).message}`, { err });
  code = 1;
}
await closeLogger(logger);
process.exit(code);
