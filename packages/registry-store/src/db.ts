/** Small SQL helpers shared by the stores (repositories, their counts per project, and the outbox). */
import { foldCountRows, raw, sql, type Sql, type SqlExecutor } from "@berth/db/sql";
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
    WITH created AS (
      INSERT INTO repositories (name, updated_at) VALUES (${name}, now())
      ${ON_NAME_CONFLICT}
      RETURNING ${CREATED_COLUMNS}),
    ${countCreated("created")}
    SELECT id FROM created`;
  return inserted[0]!.id;
}

/**
 * How an insert into `repositories` meets the same name inserted concurrently: it returns the
 * existing row, unchanged (an update of nothing, so `RETURNING` has the row). A repository's
 * name and times never change after its insert, so the list's page boundaries stay true.
 */
export const ON_NAME_CONFLICT = raw("ON CONFLICT (name) DO UPDATE SET updated_at = repositories.updated_at");

/**
 * What a CTE inserting into `repositories` returns for {@link countCreated}: the row's id, its
 * name and whether this statement inserted it (`xmax = 0`; an `ON CONFLICT … DO UPDATE` of an
 * existing row is not a new repository).
 */
export const CREATED_COLUMNS = raw("id, name, (xmax = 0) AS inserted");

/**
 * A CTE (`<cte>_counted`) that adds each repository the CTE `cte` inserted to its project's
 * count (`project_repository_counts`, a +1 delta row): every statement that creates repositories
 * carries one, so the count cannot drift from the rows. Deletes append -1
 * ({@link deleteRepositoryRow}). A project's repositories are those named `<project>/…`.
 */
export function countCreated(cte: string): Sql {
  return raw(`${cte}_counted AS (INSERT INTO project_repository_counts (project, delta) SELECT split_part(name, '/', 1), 1 FROM ${cte} WHERE inserted AND strpos(name, '/') > 0)`);
}

/** Deletes repository `repositoryId` and takes it off its project's count (a -1 delta row), in one statement. */
export async function deleteRepositoryRow(db: Db, repositoryId: number): Promise<void> {
  await db.$executeRaw`
    WITH gone AS (DELETE FROM repositories WHERE id = ${repositoryId} RETURNING name)
    INSERT INTO project_repository_counts (project, delta) SELECT split_part(name, '/', 1), -1 FROM gone WHERE strpos(name, '/') > 0`;
}

/** How many repositories project `projectName` holds: the sum of its count rows (see {@link countCreated}). */
export async function countProjectRepositories(db: Db, projectName: string): Promise<number> {
  return (await tallyProjectRepositories(db, projectName)).total;
}

/**
 * {@link countProjectRepositories}, with the state of the project's list of repositories: it
 * changes with every repository created or deleted, each of which appends a count row, and never
 * comes back — a count row's id is never reused, a fold replaces its rows with a new one, and
 * under the same last id the number of rows only grows (transactions that took earlier ids
 * committing). So pages of one state can share their boundaries (`PageBoundaries`).
 */
export async function tallyProjectRepositories(db: Db, projectName: string): Promise<{ total: number; generation: () => Promise<string> }> {
  const rows = await db.$queryRaw<{ n: bigint; rows: bigint; last: bigint | null }[]>`
    SELECT coalesce(sum(delta), 0)::bigint AS n, count(*)::bigint AS rows, max(id) AS last FROM project_repository_counts WHERE project = ${projectName}`;
  const generation = `${rows[0]!.last ?? ""}:${rows[0]!.rows}`;
  return { total: Number(rows[0]!.n), generation: async () => generation };
}

/**
 * Folds the count rows of every project that has more than one into a single row (its sum; none
 * when that is 0), in one statement. Concurrent folds are safe: a row is summed by the fold
 * that deleted it.
 */
export function foldRepositoryCounts(db: Db): Promise<void> {
  return foldCountRows(db, "project_repository_counts", "project");
}

/**
 * A CTE (`<cte>_counted`) that adds the manifest the CTE `cte` inserted (columns `id`,
 * `inserted`: `xmax = 0`) to repository `repositoryId`'s artifact count
 * (`repository_artifact_counts`, a +1 row). Every statement inserting manifests carries one;
 * deletes go through {@link deleteManifestRow}; a deleted repository takes its rows along.
 */
export function countNewManifest(cte: string, repositoryId: Sql): Sql {
  return sql`${raw(cte)}_counted AS (INSERT INTO repository_artifact_counts (repository_id, delta) SELECT ${repositoryId}, 1 FROM ${raw(cte)} WHERE ${raw(cte)}.inserted)`;
}

/** Deletes manifest `id` and takes it off its repository's artifact count (a -1 row), in one statement. */
export async function deleteManifestRow(db: Db, id: bigint): Promise<void> {
  await db.$executeRaw`
    WITH gone AS (DELETE FROM manifests WHERE id = ${id} RETURNING repository_id)
    INSERT INTO repository_artifact_counts (repository_id, delta) SELECT repository_id, -1 FROM gone`;
}

/** Repository `r.id`'s artifact count as a SQL expression (for a select list over `repositories r`). */
export const ARTIFACT_COUNT = raw("(SELECT coalesce(sum(c.delta), 0) FROM repository_artifact_counts c WHERE c.repository_id = r.id)::bigint");

/** How many artifacts repository `repositoryId` holds (the sum of its count rows). */
export async function countRepositoryArtifacts(db: Db, repositoryId: number): Promise<number> {
  const rows = await db.$queryRaw<{ n: bigint }[]>`
    SELECT coalesce(sum(delta), 0)::bigint AS n FROM repository_artifact_counts WHERE repository_id = ${repositoryId}`;
  return Number(rows[0]!.n);
}

/**
 * Folds the artifact count rows of the repositories written since row `since` (an id; 0: all)
 * into one row each — there is a row per repository, so a fold looks only at recent ones — and
 * returns the id to pass next time. A row written by a transaction that commits later with a
 * lower id stays as it is (the sums are exact either way) until its repository is written again.
 * Rows are taken as `foldCountRows` (`@berth/db/sql`) takes them: in id order, skipping those a
 * concurrent fold holds.
 */
export async function foldArtifactCounts(db: Db, since: bigint): Promise<bigint> {
  const rows = await db.$queryRaw<{ upto: bigint | null }[]>`
    WITH recent AS MATERIALIZED (SELECT id, repository_id FROM repository_artifact_counts WHERE id > ${since}),
    many AS (
      SELECT repository_id FROM repository_artifact_counts WHERE repository_id IN (SELECT repository_id FROM recent)
      GROUP BY repository_id HAVING count(*) > 1),
    taken AS MATERIALIZED (
      SELECT c.id FROM repository_artifact_counts c WHERE c.repository_id IN (SELECT repository_id FROM many)
      ORDER BY c.id FOR UPDATE SKIP LOCKED),
    d AS (DELETE FROM repository_artifact_counts c USING taken WHERE c.id = taken.id RETURNING c.repository_id, c.delta),
    ins AS (
      INSERT INTO repository_artifact_counts (repository_id, delta)
      SELECT repository_id, sum(delta) FROM d GROUP BY repository_id HAVING sum(delta) <> 0
      RETURNING id)
    SELECT greatest((SELECT max(id) FROM recent), (SELECT max(id) FROM ins)) AS upto`;
  return rows[0]?.upto ?? since;
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
