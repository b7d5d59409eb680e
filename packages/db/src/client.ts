/** Building Prisma clients: the generated client over `@prisma/adapter-pg` (no native engine). */
import { PrismaPg } from "@prisma/adapter-pg";
import { createPool, limitsOf, type PoolOptions } from "./connection-pool.js";
import { PrismaClient } from "./generated/prisma/client.js";

/** Options for {@link createPrismaClient}. */
export interface PrismaClientOptions extends PoolOptions {
  /** Told about errors of idle pooled connections (e.g. the server restarted); they never crash. */
  onPoolError?: (err: Error) => void;
}

/**
 * A Prisma client for the database at `databaseUrl` (a `postgresql://` URL), bounded by
 * `options.limits` (default the request paths' {@link REQUEST_LIMITS}; jobs pass `JOB_LIMITS`).
 * Its errors for a stalled or unreachable database are recognised by
 * `DatabaseUnavailableError.from`. Connections open lazily; call `$disconnect()` on shutdown.
 */
export function createPrismaClient(databaseUrl: string, options: PrismaClientOptions = {}): PrismaClient {
  const limits = limitsOf(options);
  const adapter = new PrismaPg(createPool(databaseUrl, options), {
    disposeExternalPool: true,
    ...(options.onPoolError ? { onPoolError: options.onPoolError } : {}),
  });
  return new PrismaClient({ adapter, transactionOptions: { maxWait: limits.connectTimeoutMs, timeout: limits.transactionTimeoutMs } });
}
