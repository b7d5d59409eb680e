import type { Prisma, PrismaClient } from "@berth/db";
import { AuditStore, type Actor } from "../audit/audit-store.js";

/**
 * `configurations`: the settings changed through `/api/v2.0/configurations`, one JSON value per
 * key. Values arrive here as they are to be stored (secrets already sealed by the caller).
 */
export class ConfigurationStore {
  constructor(private readonly db: PrismaClient) {}

  async all(): Promise<Map<string, unknown>> {
    const rows = await this.db.configuration.findMany();
    return new Map(rows.map((r) => [r.key, r.value]));
  }

  /** Writes `values` and an audit row naming the keys (never the values), in one transaction. */
  async update(values: Record<string, unknown>, actor: Actor): Promise<void> {
    const keys = Object.keys(values).sort();
    await this.db.$transaction(async (tx) => {
      for (const key of keys) {
        const value = values[key] as Prisma.InputJsonValue;
        await tx.configuration.upsert({ where: { key }, create: { key, value }, update: { value } });
      }
      await AuditStore.write(tx, { ...actor, resource: "configurations", resourceType: "configuration", operation: "update", detail: { keys } });
    });
  }
}
