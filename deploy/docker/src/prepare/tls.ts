/** The prepare step's part of `BERTH_TLS=self-signed`: the certificate, and telling the operator. */
import type { Logger } from "@berth/logger";
import { ensureSelfSignedTls, frontDoorHosts, trustInstructions } from "@berth/tls";
import type { PrepareConfig } from "./config.js";

/** Where the proxy container has the secrets volume (the compose file mounts it there). */
const PROXY_CA_FILE = "/data/secrets/tls/ca.crt";

/**
 * Makes or keeps the CA and server certificate in the secrets volume (the proxy serves them) and
 * prints the CA with the instructions — raw on stdout, for `docker compose logs prepare`, and as
 * a log line for the log-collector.
 */
export async function selfSignedCertificate(config: Pick<PrepareConfig, "dataDir" | "externalUrl">, logger: Logger): Promise<void> {
  const tls = await ensureSelfSignedTls({ dataDir: config.dataDir, hosts: frontDoorHosts(config.externalUrl) });
  for (const made of tls.made) logger.info(`made ${made} in ${tls.dir}`, { module: "tls" });
  if (!config.externalUrl.startsWith("https:")) {
    logger.warn(`BERTH_TLS=self-signed, but BERTH_EXTERNAL_URL is ${config.externalUrl}: clients are sent to plain HTTP for tokens (and redirected); set it to the https:// URL they use`, { module: "tls" });
  }
  const instructions = trustInstructions({
    externalUrl: config.externalUrl,
    caFile: "berth-ca.crt",
    fetchCa: `docker compose exec -T proxy cat ${PROXY_CA_FILE} > berth-ca.crt   (or copy it from below)`,
  });
  process.stdout.write(`\n${instructions.join("\n")}\n\n${tls.caPem.trim()}\n\n`);
  logger.info(`HTTPS with a self-signed certificate (CA valid until ${tls.caNotAfter.toISOString()}, server certificate until ${tls.certNotAfter.toISOString()})`, {
    module: "tls",
    ca: tls.caPem,
    instructions,
  });
}
