/** Small SQL helpers shared by the stores (repositories and the outbox). */
import type { SqlExecutor } from "@berth/db/sql";
import type { OutboxEventPayload, RegistryEventType } from "@berth/queue/events";

/** A database handle or an interactive transaction's (a store runs its statements in either). */
export type Db = SqlExecutor;

/** The id of repository `name`, or `undefined`. */
export async function findRepositoryId(db: Db, name: string): Promise<number | undefined> {
  const rows = await db.$queryRaw<{ id: number }[]>`SELECT id FROM repositories WHERE name = ${name}`;
  return rows[0]?.id;
}

/**
 * The id of repository `name`, creating it when missing. Does not lock an existing row, so
 * concurrent pushes to one repository do not serialize on it.
 */
export async function ensureRepositoryId(db: Db, name: string): Promise<number> {
  const existing = await findRepositoryId(db, name);
  if (existing !== undefined) return existing;
  const inserted = await db.$queryRaw<{ id: number }[]>`
    INSERT INTO repositories (name, updated_at) VALUES (${name}, now())
    ON CONFLICT (name) DO UPDATE SET updated_at = now()
    RETURNING id`;
  return inserted[0]!.id;
}

/** Append one event to the outbox (in the caller's transaction). */
export async function writeEvent<E extends RegistryEventType>(db: Db, type: E, payload: OutboxEventPayload<E>): Promise<void> {
  await db.$executeRaw`INSERT INTO outbox_events (type, payload) VALUES (${type}, ${JSON.stringify(payload)}::jsonb)`;
}

/** Who did something, for event payloads (omitted when anonymous). */
export interface Actor {
  /** The token's subject (user or robot name); empty or undefined for anonymous. */
  name?: string | undefined;
}

/** `{ actor }` when there is a named actor, else `{}`. */
export function actorField(actor: Actor | undefined): { actor?: string } {
  return actor?.name ? { actor: actor.name } : {};
}
