import type { Logger } from "@berth/logger";
import type { AuditStore } from "./audit-store.js";

/**
 * Deletes audit rows older than `retentionDays`, now and then every `intervalMs` (hourly by
 * default). Core runs it until jobservice takes purging over. Returns a stop function.
 */
export function startAuditRetention(audit: AuditStore, retentionDays: number, logger: Logger, intervalMs = 3_600_000): () => void {
  const log = logger.child({ module: "audit-retention" });
  const purge = async () => {
    try {
      const count = await audit.purgeOlderThan(retentionDays);
      if (count > 0) log.info(`purged ${count} audit log rows older than ${retentionDays} days`);
    } catch (err) {
      log.warn("audit log purge failed; will retry", { err });
    }
  };
  void purge();
  const timer = setInterval(purge, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
