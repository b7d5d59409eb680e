/** Building Prisma clients: the generated client over `@prisma/adapter-pg` (no native engine). */
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client.js";

/** Options for {@link createPrismaClient}. */
export interface PrismaClientOptions {
  /** Most connections the client's pool opens (default 10). */
  poolSize?: number;
  /** How long to wait for a free connection before failing, in ms (default 10 000; 0 waits forever). */
  connectionTimeoutMillis?: number;
  /** Idle connections are closed after this many ms (default 30 000). */
  idleTimeoutMillis?: number;
  /** Shown in `pg_stat_activity`; use the service's name. */
  applicationName?: string;
  /** Told about errors of idle pooled connections (e.g. the server restarted); they never crash. */
  onPoolError?: (err: Error) => void;
}

/**
 * A Prisma client for the database at `databaseUrl` (a `postgresql://` URL). Connections open
 * lazily; call `$disconnect()` on shutdown.
 */
export function createPrismaClient(databaseUrl: string, options: PrismaClientOptions = {}): PrismaClient {
  const adapter = new PrismaPg(
    {
      connectionString: databaseUrl,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMillis ?? 10_000,
      idleTimeoutMillis: options.idleTimeoutMillis ?? 30_000,
      ...(options.applicationName ? { application_name: options.applicationName } : {}),
    },
    options.onPoolError ? { onPoolError: options.onPoolError } : undefined,
  );
  return new PrismaClient({ adapter });
}
