/**
 * The management view of the registry metadata that core's `/api/v2.0` serves (Harbor's
 * repositories, artifacts and tags): repositories of a project, artifacts with their tags and
 * index children, repository deletes and tag writes. Writes go through the same tables, locks,
 * quota accounting ({@link unlinkBlobs}) and outbox events as the registry's own paths.
 *
 * A repository belongs to the project named by its first path segment (see quota-store.ts).
 */
import type { SqlDatabase } from "@berth/db/sql";
import { boundaryIds, empty, fromBoundary, join, orderItems, PageBoundaries, pageWindow, seekable, sql, type BoundaryStep, type ListOrder, type Sql } from "@berth/db/sql";
import { isIndexMediaType, type Digest } from "@berth/oci";
import type { StorageDriver } from "@berth/storage";
import { actorField, ARTIFACT_COUNT, countProjectRepositories, countRepositoryArtifacts, deleteRepositoryRow, findRepositoryId, tallyProjectRepositories, writeEvent, type Actor } from "./db.js";
import { ManifestUnknownError, NameUnknownError, RegistryStoreError } from "./errors.js";
import { assertMutable, findImmutableTag } from "./immutability.js";
import { readConfigAttributes } from "./config-attributes.js";
import { unlinkBlobs } from "./quota-store.js";

/** The tag already exists in the repository (Harbor answers 409). */
export class TagExistsError extends RegistryStoreError {
  constructor(
    readonly repository: string,
    readonly tag: string,
  ) {
    super(`tag ${tag} already exists in ${repository}`, { repository, tag });
  }
}

/** A repository as the API lists it. */
export interface RepositoryRecord {
  id: number;
  projectId: number | null;
  name: string;
  artifactCount: number;
  /** Pulls of its manifests (the registry's pull recorder), deleted artifacts' included. */
  pullCount: number;
  createdAt: Date;
  updatedAt: Date;
}

/** A tag of an artifact. */
export interface TagRecord {
  id: number;
  repositoryId: number;
  artifactId: number;
  name: string;
  pushTime: Date;
  pullTime: Date | null;
}

/** A label on an artifact. */
export interface ArtifactLabelRecord {
  id: number;
  name: string;
  description: string;
  color: string;
  scope: string;
  projectId: number;
  createdAt: Date;
  updatedAt: Date;
}

/** A child of an index. */
export interface ArtifactChild {
  parentId: number;
  childId: number | null;
  childDigest: string;
  platform: Record<string, unknown> | null;
}

/** An artifact (a manifest) with what the API shows about it. */
export interface ArtifactRecord {
  id: number;
  repositoryId: number;
  repositoryName: string;
  projectId: number | null;
  digest: Digest;
  manifestMediaType: string;
  /** The config's media type for images (Harbor's `media_type`), the manifest's for indexes. */
  mediaType: string;
  artifactType: string | null;
  configDigest: string | null;
  /** Manifest + config + layers; for an index, its own bytes plus its children's sizes. */
  size: number;
  pushTime: Date;
  pullTime: Date | null;
  /** Pulls counted so far (batched: up to a second behind). */
  pullCount: number;
  tags: TagRecord[];
  /** Labels added to the artifact (core's `/labels`), by name. */
  labels: ArtifactLabelRecord[];
  references: ArtifactChild[];
  /** Parsed manifest payload. */
  manifest: ManifestJson;
  /** Harbor's `extra_attrs` as kept at push; `null`: not kept (see {@link ArtifactStore.configAttributes}). */
  configAttributes: Record<string, unknown> | null;
}

interface ManifestJson {
  mediaType?: string;
  artifactType?: string;
  config?: { mediaType?: string; digest?: string; size?: number };
  layers?: { size?: number }[];
  manifests?: { digest?: string; size?: number; platform?: Record<string, unknown> }[];
}

export type { ListOrder };

/** Fields repositories can be listed by. */
export type RepositoryOrderField = "name" | "createdAt" | "updatedAt";
const REPOSITORY_COLUMNS: Record<RepositoryOrderField, string> = { name: 'r.name COLLATE "C"', createdAt: "r.created_at", updatedAt: "r.updated_at" };

/** Fields artifacts can be listed by. */
export type ArtifactOrderField = "pushTime" | "pullTime" | "size" | "digest";
const ARTIFACT_COLUMNS: Record<ArtifactOrderField, string> = { pushTime: "m.pushed_at", pullTime: "m.pulled_at", size: "m.size", digest: "m.digest" };

/** Filters of {@link ArtifactStore.listArtifacts}. */
export interface ArtifactQuery {
  /** Exact tag, `~fuzzy`, `*` (tagged) or `nil` (untagged). */
  tag?: { kind: "exact" | "fuzzy" | "any" | "none"; value?: string };
  digest?: string;
  mediaType?: string;
  /** Only artifacts carrying every one of these labels (ids). */
  labelIds?: readonly number[];
  /** Default: newest push first. */
  order?: ListOrder<ArtifactOrderField>;
  skip: number;
  take: number;
}

interface ManifestRow {
  id: bigint;
  repository_id: number;
  repository_name: string;
  project_id: number | null;
  digest: string;
  media_type: string;
  artifact_type: string | null;
  payload: Uint8Array;
  size: bigint;
  pushed_at: Date;
  pulled_at: Date | null;
  pull_count: bigint;
  config_attributes: Record<string, unknown> | null;
}

/** The rows of `manifests` an artifact is made of (for the page's ids, in the page's order). */
const ARTIFACT_SELECT = sql`
  SELECT m.id, m.repository_id, r.name AS repository_name, p.id AS project_id, m.digest, m.media_type, m.artifact_type,
         m.payload, m.size, m.pushed_at, m.pulled_at, m.pull_count, m.config_attributes
  FROM manifests m JOIN repositories r ON r.id = m.repository_id LEFT JOIN projects p ON p.name = split_part(r.name, '/', 1)`;

/**
 * Repositories of project `name`: `name` begins with `<project>/` — a range of the byte-ordered
 * name index. (A name without a project cannot be pushed: the token service grants nothing on
 * it. The project's count rows count the same repositories, db.ts.)
 */
function inProject(projectName: string): Sql {
  return sql`r.name COLLATE "C" >= ${`${projectName}/`} AND r.name COLLATE "C" < ${`${projectName}0`}`;
}

/** Repositories, artifacts and tags for the management API. */
export class ArtifactStore {
  readonly #db: SqlDatabase;
  readonly #driver: StorageDriver;
  /** Of projects' unfiltered repository lists, per order (page-boundaries.ts in @berth/db). */
  readonly #repositoryPages = new PageBoundaries<number>();

  constructor(options: { db: SqlDatabase; driver: StorageDriver }) {
    this.#db = options.db;
    this.#driver = options.driver;
  }

  /** How many repositories project `projectName` holds (any repository row named `<project>/…`). */
  async countRepositories(projectName: string): Promise<number> {
    return countProjectRepositories(this.#db, projectName);
  }

  /** Repositories of project `projectName`, by name unless `order` says otherwise; `name` filters the full name (exact or contains). */
  async listRepositories(
    projectName: string,
    options: { name?: { kind: "exact" | "fuzzy"; value: string }; order?: ListOrder<RepositoryOrderField>; skip: number; take: number },
  ): Promise<{ total: number; items: RepositoryRecord[] }> {
    const nameFilter =
      options.name === undefined
        ? empty
        : options.name.kind === "exact"
          ? sql`AND r.name = ${options.name.value}`
          : sql`AND strpos(r.name, ${options.name.value}) > 0`;
    // By name: a range of the byte-ordered name index; by time: the (project, time, id) indexes.
    // (By time, the name range would be planned as an index condition — the generic plan of
    // the prepared statement then sorts the whole project — and a test like strpos() is
    // estimated to keep a third of the rows, so a deep page looks cheaper sorted than walked.
    // `name <> project` excludes the one name without a slash and is estimated right.)
    const byName = !options.order?.length || options.order[0]!.field === "name";
    const where = byName
      ? sql`WHERE ${inProject(projectName)} ${nameFilter}`
      : sql`WHERE split_part(r.name, '/', 1) = ${projectName} AND r.name <> ${projectName} ${nameFilter}`;
    const order = options.order?.length ? options.order : ([{ field: "name", direction: "asc" }] as const);
    // The total first (the project's count rows; a filter counts its matches), then the page's
    // ids from the nearer end of the list (an index-only range scan), then only their rows — by
    // `= ANY(ARRAY(…))`, which even the generic plan of the prepared statement (it cannot see
    // the LIMIT) reads by primary key rather than hashing the whole table.
    // Unfiltered, a deep page starts at the nearest boundary row of the list in its current state.
    const { total, generation } =
      options.name === undefined
        ? await tallyProjectRepositories(this.#db, projectName)
        : { total: Number((await this.#db.$queryRaw<{ n: bigint }[]>`SELECT count(*)::bigint AS n FROM repositories r ${where}`)[0]!.n), generation: undefined };
    const page = pageWindow(total, options.skip, options.take);
    if (page.limit === 0) return { total, items: [] };
    const boundaries: BoundaryStep<number> = async (every, count, from) => {
      const rows = from === undefined ? where : sql`${where} AND ${fromBoundary(order, REPOSITORY_COLUMNS, "repositories", "r", "r.id", from)}`;
      const found = await this.#db.$queryRaw<{ id: number }[]>(boundaryIds(sql`FROM repositories r ${rows}`, orderItems(order, REPOSITORY_COLUMNS, "r.id"), "r.id", every, count));
      return found.map((b) => b.id);
    };
    const start =
      generation !== undefined && seekable(order)
        ? await this.#repositoryPages.start(`${projectName}\n${order.map((o) => `${o.field} ${o.direction}`).join(",")}`, generation, { skip: options.skip, walk: page.offset, total }, boundaries)
        : undefined;
    const ids = start
      ? sql`SELECT r.id FROM repositories r ${where} AND ${fromBoundary(order, REPOSITORY_COLUMNS, "repositories", "r", "r.id", start.id)}
            ORDER BY ${orderItems(order, REPOSITORY_COLUMNS, "r.id")} LIMIT ${page.limit} OFFSET ${start.skip}`
      : sql`SELECT r.id FROM repositories r ${where} ORDER BY ${orderItems(order, REPOSITORY_COLUMNS, "r.id", page.reversed)} LIMIT ${page.limit} OFFSET ${page.offset}`;
    const rows = await this.#db.$queryRaw<RepositoryRow[]>`
      WITH page AS MATERIALIZED (${ids})
      SELECT r.id, r.name, r.created_at, r.updated_at, r.pull_count, p.id AS project_id,
             ${ARTIFACT_COUNT} AS artifact_count,
             (SELECT max(m.pushed_at) FROM manifests m WHERE m.repository_id = r.id) AS last_push
      FROM repositories r LEFT JOIN projects p ON p.name = split_part(r.name, '/', 1)
      WHERE r.id = ANY(ARRAY(SELECT id FROM page))
      ORDER BY ${orderItems(order, REPOSITORY_COLUMNS, "r.id")}`;
    return { total, items: rows.map(repositoryRecord) };
  }

  /** Repository `name`, or `undefined`. */
  async getRepository(name: string): Promise<RepositoryRecord | undefined> {
    const rows = await this.#db.$queryRaw<RepositoryRow[]>`
      SELECT r.id, r.name, r.created_at, r.updated_at, r.pull_count, p.id AS project_id,
             ${ARTIFACT_COUNT} AS artifact_count,
             (SELECT max(m.pushed_at) FROM manifests m WHERE m.repository_id = r.id) AS last_push
      FROM repositories r LEFT JOIN projects p ON p.name = split_part(r.name, '/', 1)
      WHERE r.name = ${name}`;
    return rows[0] && repositoryRecord(rows[0]);
  }

  /**
   * Deletes repository `name` in ONE transaction: every tag and manifest (outbox `tag.deleted` and
   * `manifest.deleted` events, as the registry's deletes write them), every blob link (releasing
   * the project's usage through {@link unlinkBlobs}), its upload sessions and the row. Blob content
   * stays for GC.
   *
   * @throws {NameUnknownError}
   */
  async deleteRepository(name: string, actor?: Actor): Promise<{ manifests: number; tags: number }> {
    return this.#db.$transaction(
      async (tx) => {
        const repo = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM repositories WHERE name = ${name} FOR UPDATE`;
        const repositoryId = repo[0]?.id;
        if (repositoryId === undefined) throw new NameUnknownError(name);
        const manifests = await tx.$queryRaw<{ id: bigint; digest: string; media_type: string; size: bigint }[]>`
          SELECT id, digest, media_type, size FROM manifests WHERE repository_id = ${repositoryId} ORDER BY id FOR UPDATE`;
        const tags = await tx.$queryRaw<{ name: string; digest: string; media_type: string }[]>`
          DELETE FROM tags t USING manifests m WHERE m.id = t.manifest_id AND t.repository_id = ${repositoryId}
          RETURNING t.name, m.digest, m.media_type`;
        await assertMutable(tx, name, tags.map((t) => t.name), "deleted");
        const actorPart = actorField(actor);
        for (const t of tags) await writeEvent(tx, "tag.deleted", { repository: name, digest: t.digest, tag: t.name, mediaType: t.media_type, ...actorPart });
        // Index → child references first (child_manifest_id is ON DELETE RESTRICT).
        await tx.$executeRaw`
          DELETE FROM manifest_references mr USING manifests m WHERE m.id = mr.manifest_id AND m.repository_id = ${repositoryId}`;
        await tx.$executeRaw`DELETE FROM manifests WHERE repository_id = ${repositoryId}`;
        for (const m of manifests) {
          await writeEvent(tx, "manifest.deleted", { repository: name, digest: m.digest, mediaType: m.media_type, size: Number(m.size), ...actorPart });
        }
        const links = await tx.$queryRaw<{ blob_digest: string }[]>`
          SELECT blob_digest FROM repository_blobs WHERE repository_id = ${repositoryId} ORDER BY blob_digest`;
        await unlinkBlobs(tx, repositoryId, links.map((l) => l.blob_digest));
        await tx.$executeRaw`DELETE FROM upload_sessions WHERE repository_id = ${repositoryId}`;
        await deleteRepositoryRow(tx, repositoryId);
        return { manifests: manifests.length, tags: tags.length };
      },
      { timeout: 60_000, maxWait: 30_000 },
    );
  }

  /** Artifacts of repository `name`, newest push first unless `query.order` says otherwise. @throws {NameUnknownError} */
  async listArtifacts(name: string, query: ArtifactQuery): Promise<{ total: number; items: ArtifactRecord[] }> {
    const repositoryId = await findRepositoryId(this.#db, name);
    if (repositoryId === undefined) throw new NameUnknownError(name);
    const parts: Sql[] = [sql`m.repository_id = ${repositoryId}`];
    if (query.digest !== undefined) parts.push(sql`m.digest = ${query.digest}`);
    if (query.mediaType !== undefined) parts.push(sql`m.media_type = ${query.mediaType}`);
    const tag = query.tag;
    if (tag?.kind === "exact") parts.push(sql`EXISTS (SELECT 1 FROM tags t WHERE t.manifest_id = m.id AND t.name = ${tag.value ?? ""})`);
    if (tag?.kind === "fuzzy") parts.push(sql`EXISTS (SELECT 1 FROM tags t WHERE t.manifest_id = m.id AND strpos(t.name, ${tag.value ?? ""}) > 0)`);
    if (tag?.kind === "any") parts.push(sql`EXISTS (SELECT 1 FROM tags t WHERE t.manifest_id = m.id)`);
    if (tag?.kind === "none") parts.push(sql`NOT EXISTS (SELECT 1 FROM tags t WHERE t.manifest_id = m.id)`);
    for (const labelId of query.labelIds ?? []) parts.push(sql`EXISTS (SELECT 1 FROM artifact_labels al WHERE al.manifest_id = m.id AND al.label_id = ${labelId})`);
    const where = join(parts, " AND ");
    const order = query.order?.length ? query.order : ([{ field: "pushTime", direction: "desc" }] as const);
    // The total first (the repository's count rows; a filter counts its matches), then the
    // page's ids — an index-only range scan of the sort's index from the nearer end of the list
    // — then the rows (with their payloads) of those ids only.
    const total =
      parts.length === 1
        ? await countRepositoryArtifacts(this.#db, repositoryId)
        : Number((await this.#db.$queryRaw<{ n: bigint }[]>`SELECT count(*)::bigint AS n FROM manifests m WHERE ${where}`)[0]!.n);
    const page = pageWindow(total, query.skip, query.take);
    if (page.limit === 0) return { total, items: [] };
    const rows = await this.#db.$queryRaw<ManifestRow[]>`
      WITH page AS MATERIALIZED (
        SELECT m.id FROM manifests m WHERE ${where} ORDER BY ${orderItems(order, ARTIFACT_COLUMNS, "m.id", page.reversed)} LIMIT ${page.limit} OFFSET ${page.offset})
      ${ARTIFACT_SELECT} WHERE m.id = ANY(ARRAY(SELECT id FROM page))
      ORDER BY ${orderItems(order, ARTIFACT_COLUMNS, "m.id")}`;
    return { total, items: await this.#records(rows) };
  }

  /**
   * Artifact `reference` (a tag or a digest) of repository `name`.
   *
   * @throws {NameUnknownError} | {ManifestUnknownError}
   */
  async getArtifact(name: string, reference: string): Promise<ArtifactRecord> {
    const byDigest = reference.includes(":");
    const rows = await this.#db.$queryRaw<ManifestRow[]>`
      ${ARTIFACT_SELECT}
      WHERE r.name = ${name} AND ${
        byDigest ? sql`m.digest = ${reference}` : sql`m.id = (SELECT t.manifest_id FROM tags t WHERE t.repository_id = r.id AND t.name = ${reference})`
      }`;
    if (rows.length === 0) {
      if ((await findRepositoryId(this.#db, name)) === undefined) throw new NameUnknownError(name);
      throw new ManifestUnknownError(reference);
    }
    return (await this.#records(rows))[0]!;
  }

  /**
   * Adds tag `tag` to the manifest `digest` of repository `name` (outbox `tag.created`). Harbor
   * refuses a tag that already exists in the repository.
   *
   * @throws {ManifestUnknownError} | {TagExistsError}
   */
  async createTag(name: string, digest: string, tag: string, actor?: Actor): Promise<void> {
    await this.#db.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<{ id: bigint; repository_id: number; media_type: string; size: bigint }[]>`
        SELECT m.id, m.repository_id, m.media_type, m.size FROM manifests m JOIN repositories r ON r.id = m.repository_id
        WHERE r.name = ${name} AND m.digest = ${digest} FOR SHARE OF m`;
      const m = rows[0];
      if (m === undefined) throw new ManifestUnknownError(digest);
      const inserted = await tx.$executeRaw`
        INSERT INTO tags (repository_id, name, manifest_id, updated_at) VALUES (${m.repository_id}, ${tag}, ${m.id}, now())
        ON CONFLICT (repository_id, name) DO NOTHING`;
      if (inserted === 0) throw new TagExistsError(name, tag);
      await writeEvent(tx, "tag.created", { repository: name, digest, tag, mediaType: m.media_type, size: Number(m.size), ...actorField(actor) });
    });
  }

  /**
   * Removes tag `tag` when it points at manifest `digest` (outbox `tag.deleted`).
   *
   * @throws {ManifestUnknownError} the tag does not exist on that manifest.
   */
  async deleteTag(name: string, digest: string, tag: string, actor?: Actor): Promise<void> {
    await this.#db.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<{ media_type: string }[]>`
        DELETE FROM tags t USING repositories r, manifests m
        WHERE r.id = t.repository_id AND m.id = t.manifest_id AND r.name = ${name} AND t.name = ${tag} AND m.digest = ${digest}
        RETURNING m.media_type`;
      if (rows.length === 0) throw new ManifestUnknownError(tag);
      await assertMutable(tx, name, [tag], "deleted");
      await writeEvent(tx, "tag.deleted", { repository: name, digest, tag, mediaType: rows[0]!.media_type, ...actorField(actor) });
    });
  }

  /** The first of `tags` of repository `name` an immutability rule protects, with the rule; `undefined` when none is. */
  immutableTag(name: string, tags: readonly string[]): Promise<{ tag: string; ruleId: number; rule: string } | undefined> {
    return findImmutableTag(this.#db, name, tags);
  }

  /**
   * The image's attributes (config-attributes.ts): kept with the manifest since its push; read
   * from storage for manifests pushed before that; `null` when there are none.
   */
  async configAttributes(artifact: ArtifactRecord): Promise<Record<string, unknown> | null> {
    return artifact.configAttributes ?? readConfigAttributes(this.#driver, artifact.manifest.config);
  }

  async #records(rows: ManifestRow[]): Promise<ArtifactRecord[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id.toString());
    const [tags, children, labels] = await Promise.all([
      // The tags alone (a tag's pull time is its artifact's, which the row has): joined to
      // `manifests`, the planner's guess of how many tags 100 artifacts have (thrown off by one
      // artifact with a million tags) chose to hash every manifest — 60–170 ms a page.
      this.#db.$queryRaw<{ id: bigint; repository_id: number; manifest_id: bigint; name: string; created_at: Date; updated_at: Date }[]>`
        SELECT t.id, t.repository_id, t.manifest_id, t.name, t.created_at, t.updated_at
        FROM tags t WHERE t.manifest_id = ANY(${ids}::bigint[]) ORDER BY t.updated_at DESC, t.id DESC`,
      this.#db.$queryRaw<{ manifest_id: bigint; digest: string; child_manifest_id: bigint | null; child_payload: Uint8Array | null; child_size: bigint | null }[]>`
        SELECT mr.manifest_id, mr.digest, mr.child_manifest_id, c.payload AS child_payload, c.size AS child_size
        FROM manifest_references mr LEFT JOIN manifests c ON c.id = mr.child_manifest_id
        WHERE mr.manifest_id = ANY(${ids}::bigint[]) AND mr.kind = 'child' ORDER BY mr.id`,
      this.#db.$queryRaw<{ manifest_id: bigint; id: number; name: string; description: string; color: string; scope: string; project_id: number; created_at: Date; updated_at: Date }[]>`
        SELECT al.manifest_id, l.id, l.name, l.description, l.color, l.scope, l.project_id, l.created_at, l.updated_at
        FROM artifact_labels al JOIN labels l ON l.id = al.label_id WHERE al.manifest_id = ANY(${ids}::bigint[]) ORDER BY l.name, l.id`,
    ]);
    // Each artifact's tags, grouped once (in their order): an artifact may have a million.
    const tagsOf = new Map<bigint, typeof tags>();
    for (const t of tags) {
      const list = tagsOf.get(t.manifest_id);
      if (list) list.push(t);
      else tagsOf.set(t.manifest_id, [t]);
    }
    return rows.map((row) => {
      const manifest = parsePayload(row.payload);
      const isIndex = isIndexMediaType(row.media_type);
      const mine = children.filter((c) => c.manifest_id === row.id);
      let size = Number(row.size);
      if (isIndex) {
        for (const c of mine) size += c.child_payload ? imageSize(parsePayload(c.child_payload), Number(c.child_size ?? 0)) : 0;
      } else size = imageSize(manifest, size);
      const platforms = new Map((manifest.manifests ?? []).map((d) => [d.digest, d.platform ?? null]));
      return {
        id: Number(row.id),
        repositoryId: row.repository_id,
        repositoryName: row.repository_name,
        projectId: row.project_id,
        digest: row.digest as Digest,
        manifestMediaType: row.media_type,
        mediaType: isIndex ? row.media_type : (manifest.config?.mediaType ?? row.media_type),
        artifactType: row.artifact_type,
        configDigest: manifest.config?.digest ?? null,
        size,
        pushTime: row.pushed_at,
        pullTime: row.pulled_at,
        pullCount: Number(row.pull_count),
        labels: labels
          .filter((l) => l.manifest_id === row.id)
          .map((l) => ({ id: l.id, name: l.name, description: l.description, color: l.color, scope: l.scope, projectId: l.project_id, createdAt: l.created_at, updatedAt: l.updated_at })),
        configAttributes: row.config_attributes,
        tags: (tagsOf.get(row.id) ?? [])
          .map((t) => ({ id: Number(t.id), repositoryId: t.repository_id, artifactId: Number(t.manifest_id), name: t.name, pushTime: t.updated_at, pullTime: row.pulled_at })),
        references: mine.map((c) => ({
          parentId: Number(row.id),
          childId: c.child_manifest_id === null ? null : Number(c.child_manifest_id),
          childDigest: c.digest,
          platform: platforms.get(c.digest) ?? null,
        })),
        manifest,
      };
    });
  }
}

interface RepositoryRow {
  id: number;
  name: string;
  created_at: Date;
  updated_at: Date;
  project_id: number | null;
  artifact_count: bigint;
  pull_count: bigint;
  last_push: Date | null;
}

function repositoryRecord(r: RepositoryRow): RepositoryRecord {
  const updated = r.last_push !== null && r.last_push > r.updated_at ? r.last_push : r.updated_at;
  return { id: r.id, projectId: r.project_id, name: r.name, artifactCount: Number(r.artifact_count), pullCount: Number(r.pull_count), createdAt: r.created_at, updatedAt: updated };
}

function parsePayload(payload: Uint8Array): ManifestJson {
  try {
    return JSON.parse(Buffer.from(payload).toString("utf8")) as ManifestJson;
  } catch {
    return {};
  }
}

/** Manifest bytes + config + layers, as Harbor sums an image's size. */
function imageSize(manifest: ManifestJson, manifestBytes: number): number {
  let size = manifestBytes + (manifest.config?.size ?? 0);
  for (const layer of manifest.layers ?? []) size += layer.size ?? 0;
  return size;
}
