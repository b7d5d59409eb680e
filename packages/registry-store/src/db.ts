/** Small SQL helpers shared by the stores (repositories and the outbox). */
import type { SqlExecutor } from "@berth/db/sql";

/** A database handle or an interactive transaction's (a store runs its statements in either). */
export type Db = SqlExecutor;

/** Types of the events the registry writes to `outbox_events`. */
export type RegistryEventType =
  | "manifest.pushed"
  | "manifest.pulled"
  | "manifest.deleted"
  | "tag.created"
  | "tag.deleted"
  | "quota.exceeded"
  | "quota.warning";

/** Payload of a registry event (`outbox_events.payload`). */
export interface RegistryEventPayload {
  repository: string;
  digest: string;
  tag?: string;
  mediaType?: string;
  size?: number;
  actor?: string;
  /** `manifest.pulled`: identical pulls folded into one event, and when the last one happened. */
  count?: number;
  pulledAt?: string;
  /** `quota.*`: Harbor's `custom_attributes.Details` sentence. */
  details?: string;
  [key: string]: unknown;
}

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
export async function writeEvent(db: Db, type: RegistryEventType, payload: RegistryEventPayload): Promise<void> {
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
