/**
 * Manifests and tags. A push validates the manifest (`@berth/oci`), then in ONE transaction:
 * creates the repository if needed, checks every referenced blob is linked to the repository and
 * every child manifest exists in it — holding `FOR SHARE` locks on those `blobs` / `manifests`
 * rows, so GC (which takes `FOR UPDATE` on the same rows before deleting) either waits for the
 * push to commit and then sees the new references, or finishes first and the push answers
 * MANIFEST_BLOB_UNKNOWN (GC.md races 1, 2) — and writes the manifest (with its bytes), its
 * references, the tag and the outbox events.
 */
import { raw, type SqlDatabase } from "@berth/db/sql";
import {
  computeDigest,
  digestAlgorithm,
  parseManifest,
  referencedBlobs,
  referencedManifests,
  sha256Digest,
  type Digest,
  type ManifestReference,
  type ParsedManifest,
} from "@berth/oci";
import type { StorageDriver } from "@berth/storage";
import type { RegistryEventType } from "@berth/queue/events";
import { actorField, countCreated, countNewManifest, CREATED_COLUMNS, ON_NAME_CONFLICT, deleteManifestRow, findRepositoryId, writeEvent, type Actor, type Db } from "./db.js";
import {
  DescriptorSizeMismatchError,
  DigestMismatchError,
  ManifestBlobUnknownError,
  ManifestReferencedError,
  ManifestUnknownError,
  NameUnknownError,
  type SizeMismatch,
} from "./errors.js";
import { assertMutable } from "./immutability.js";
import { readConfigAttributes } from "./config-attributes.js";
import { pushImageInOneStatement } from "./image-push.js";
import { blobDataPath } from "./paths.js";

/** A stored manifest, as served by GET. */
export interface StoredManifest {
  /** Row id (used by the pull recorder). */
  id: bigint;
  digest: Digest;
  mediaType: string;
  size: number;
  payload: Buffer;
}

/** Result of a manifest push. */
export interface PushedManifest {
  digest: Digest;
  mediaType: string;
  size: number;
  /** The `subject` digest, when the manifest has one (send `OCI-Subject`). */
  subject: Digest | undefined;
  manifest: ParsedManifest;
}

/** Options of one {@link ManifestStore.put}. */
export interface PutOptions {
  /**
   * Store an index even when some manifests it lists are not in the repository: their
   * `manifest_references` rows are written without `child_manifest_id`, and
   * {@link ManifestStore.linkChildren} fills it in once they are stored. Only the proxy cache
   * does this (it caches a platform's manifest when a client asks for it); pushes never do.
   */
  absentChildren?: boolean;
}

/** Options of {@link ManifestStore}. */
export interface ManifestStoreOptions {
  db: SqlDatabase;
  driver: StorageDriver;
  /**
   * Blobs whose row was last touched longer ago than this (ms) have their content re-checked in
   * storage during a push (one `stat` each, in parallel): protects against a row whose content a
   * crashed GC already removed (GC.md race 5). Recently uploaded blobs were verified on upload.
   * Default 5 minutes; `Infinity` disables the check.
   */
  contentCheckAfterMs?: number;
  /** Told after a push or delete (a repository's artifact count row, or a new repository's), to fold it soon. */
  usage?: { touched(): void };
}


/** Pushes, reads and deletes manifests and tags. */
export class ManifestStore {
  readonly #db: SqlDatabase;
  readonly #driver: StorageDriver;
  readonly #contentCheckAfterMs: number;
  readonly #usage: { touched(): void } | undefined;

  constructor(options: ManifestStoreOptions) {
    this.#db = options.db;
    this.#driver = options.driver;
    this.#contentCheckAfterMs = options.contentCheckAfterMs ?? 5 * 60_000;
    this.#usage = options.usage;
  }

  /**
   * Stores a manifest under `reference` (a tag, which is created or moved, or the digest of the
   * body).
   *
   * @throws oci's ManifestInvalidError family / ManifestTooLargeError (validation),
   *   {DigestMismatchError} (by-digest push of other bytes), {ManifestBlobUnknownError}.
   */
  async put(repository: string, reference: ManifestReference, body: Buffer, contentType: string | undefined, actor?: Actor, options: PutOptions = {}): Promise<PushedManifest> {
    const manifest = parseManifest(body, contentType);
    let digest: Digest;
    if (reference.kind === "digest") {
      digest = computeDigest(digestAlgorithm(reference.digest), body);
      if (digest !== reference.digest) throw new DigestMismatchError(reference.digest, digest);
    } else {
      digest = sha256Digest(body);
    }
    const blobs = referencedBlobs(manifest, { skipNondistributable: true });
    const children = referencedManifests(manifest);
    const tag = reference.kind === "tag" ? reference.tag : undefined;
    const event = { repository, digest, mediaType: manifest.mediaType, size: body.byteLength, ...actorField(actor) };

    const blobDigests = blobs.map((b) => b.digest);
    const childDigests = children.map((c) => c.digest);
    const pushedPayload = JSON.stringify({ ...event, ...(tag !== undefined && { tag }) });

    const result = { digest, mediaType: manifest.mediaType, size: body.byteLength, subject: manifest.subject?.digest, manifest };
    // Harbor's `extra_attrs`, kept with the manifest so lists never read config blobs.
    const attributes = children.length === 0 ? await readConfigAttributes(this.#driver, manifest.config) : null;
    const configAttributes = attributes === null ? null : JSON.stringify(attributes);
    // Most pushes: an image whose blobs were just uploaded — one statement (image-push.ts).
    if (children.length === 0 && blobs.length > 0) {
      const stored = new Set(blobDigests);
      const refs = this.#references(manifest, new Map());
      const pushed = await pushImageInOneStatement(this.#db, {
        repository,
        digest,
        mediaType: manifest.mediaType,
        artifactType: manifest.artifactType ?? null,
        subject: manifest.subject?.digest ?? null,
        body,
        descriptors: (manifest.config === undefined ? manifest.layers : [manifest.config, ...manifest.layers])
          .filter((d) => stored.has(d.digest))
          .map((d) => ({ digest: d.digest, size: d.size })),
        references: { kinds: refs.kinds, digests: refs.digests },
        tag,
        configAttributes,
        recentSeconds: Number.isFinite(this.#contentCheckAfterMs) ? this.#contentCheckAfterMs / 1000 : 1e12,
        pushedPayload,
        tagPayload: JSON.stringify({ ...event, tag }),
      });
      if (pushed) {
        this.#usage?.touched();
        return result;
      }
    }

    // The full transaction: three statements (four for an index); the locks and their order are
    // those of the statement above: blob rows + links (FOR SHARE OF b, rb), child manifests
    // (FOR SHARE), the manifest row (the upsert), then the tag row (FOR UPDATE). A push takes no
    // quota lock.
    await this.#db.$transaction(
      async (tx) => {
        const { repositoryId, missingBlobs, blobSizes } = await this.#lockBlobs(tx, repository, blobDigests);
        const locked = repositoryId === undefined ? new Map<string, { id: bigint; size: number }>() : await this.#lockChildren(tx, repositoryId, childDigests);
        const missingChildren = options.absentChildren ? [] : childDigests.filter((d) => !locked.has(d));
        if (missingBlobs.length > 0 || missingChildren.length > 0) throw new ManifestBlobUnknownError(missingBlobs, missingChildren);
        const mismatches = sizeMismatches(manifest, blobSizes, locked);
        if (mismatches.length > 0) throw new DescriptorSizeMismatchError(mismatches);
        const childIds = new Map([...locked].map(([digest, c]) => [digest, c.id]));

        const refs = this.#references(manifest, childIds);
        // Repository (created when missing), manifest (idempotent on re-push), its references
        // (only when new) and the push event — every successful PUT is one, as Distribution's
        // notifications — in one statement.
        const rows = await tx.$queryRaw<{ id: bigint; repository_id: number }[]>`
          WITH repo AS (
            INSERT INTO repositories (name, updated_at) SELECT ${repository}::text, now() WHERE ${repositoryId ?? null}::int IS NULL
            ${ON_NAME_CONFLICT}
            RETURNING ${CREATED_COLUMNS}),
          ${countCreated("repo")},
          rid AS (SELECT coalesce(${repositoryId ?? null}::int, (SELECT id FROM repo)) AS id),
          m AS (
            INSERT INTO manifests (repository_id, digest, media_type, artifact_type, payload, size, subject_digest, config_attributes)
            SELECT rid.id, ${digest}::text, ${manifest.mediaType}::text, ${manifest.artifactType ?? null}::text, ${body}::bytea,
                   ${body.byteLength}::bigint, ${manifest.subject?.digest ?? null}::text, ${configAttributes}::jsonb
            FROM rid
            ON CONFLICT (repository_id, digest) DO UPDATE SET pushed_at = now()
            RETURNING id, (xmax = 0) AS inserted),
          ${countNewManifest("m", raw("(SELECT id FROM rid)"))},
          refs AS (
            INSERT INTO manifest_references (manifest_id, kind, digest, child_manifest_id)
            SELECT m.id, x.k, x.d, x.c::bigint FROM m, unnest(${refs.kinds}::text[], ${refs.digests}::text[], ${refs.children}::text[]) AS x(k, d, c)
            WHERE m.inserted
            RETURNING 1),
          ev AS (INSERT INTO outbox_events (type, payload) VALUES (${"manifest.pushed" satisfies RegistryEventType}::text, ${pushedPayload}::jsonb) RETURNING 1)
          SELECT m.id, rid.id AS repository_id, (SELECT count(*) FROM refs) AS refs, (SELECT count(*) FROM ev) AS events FROM m, rid`;
        const { id, repository_id } = rows[0]!;
        // A tag moved to another digest is checked against immutability after the move: a
        // refusal rolls it back, and a new tag or a re-push of the same digest costs no query.
        if (tag !== undefined && (await this.#tag(tx, repository_id, tag, id, event))) await assertMutable(tx, repository, [tag], "moved to another digest");
      },
      { timeout: 60_000, maxWait: 30_000 },
    );
    this.#usage?.touched();
    return result;
  }

  /**
   * Links the `manifest_references` of `repository`'s indexes that name one of `digests` but have
   * no `child_manifest_id` yet (an index stored with {@link PutOptions.absentChildren}) to those
   * manifests, when they are stored; returns how many references were linked. Each manifest row
   * is locked `FOR SHARE` (as a push locks its children): a GC delete of it either finishes first
   * (the row is skipped) or waits. Run after storing either side — the index or a child — so
   * that whichever commits last links them.
   */
  async linkChildren(repository: string, digests: readonly string[]): Promise<number> {
    if (digests.length === 0) return 0;
    return this.#db.$executeRaw`
      WITH r AS (SELECT id FROM repositories WHERE name = ${repository}),
      c AS MATERIALIZED (
        SELECT m.id, m.digest FROM manifests m
        WHERE m.repository_id = (SELECT id FROM r) AND m.digest = ANY(${digests as string[]}::text[])
        ORDER BY m.id FOR SHARE)
      UPDATE manifest_references mr SET child_manifest_id = c.id
      FROM c, manifests p
      WHERE mr.kind = 'child' AND mr.child_manifest_id IS NULL AND mr.digest = c.digest
        AND p.id = mr.manifest_id AND p.repository_id = (SELECT id FROM r)`;
  }

  /**
   * The manifest `reference` (tag or digest) of `repository`: one indexed lookup.
   *
   * @throws {ManifestUnknownError} | {NameUnknownError}
   */
  async get(repository: string, reference: ManifestReference): Promise<StoredManifest> {
    const rows =
      reference.kind === "tag"
        ? await this.#db.$queryRaw<ManifestRow[]>`
            SELECT m.id, m.digest, m.media_type, m.size, m.payload
            FROM tags t JOIN repositories r ON r.id = t.repository_id JOIN manifests m ON m.id = t.manifest_id
            WHERE r.name = ${repository} AND t.name = ${reference.tag}`
        : await this.#db.$queryRaw<ManifestRow[]>`
            SELECT m.id, m.digest, m.media_type, m.size, m.payload
            FROM manifests m JOIN repositories r ON r.id = m.repository_id
            WHERE r.name = ${repository} AND m.digest = ${reference.digest}`;
    const row = rows[0];
    if (row === undefined) {
      if ((await findRepositoryId(this.#db, repository)) === undefined) throw new NameUnknownError(repository);
      throw new ManifestUnknownError(reference.kind === "tag" ? reference.tag : reference.digest);
    }
    return {
      id: row.id,
      digest: row.digest as Digest,
      mediaType: row.media_type,
      size: Number(row.size),
      payload: Buffer.from(row.payload),
    };
  }

  /**
   * Deletes a tag (by tag: only the tag) or a manifest with its tags and references (by digest).
   * A manifest listed as a child by an index of the same repository is refused with
   * {@link ManifestReferencedError} (Harbor's rule; Distribution would leave the index dangling).
   *
   * @throws {ManifestUnknownError} | {ManifestReferencedError}
   */
  async delete(repository: string, reference: ManifestReference, actor?: Actor): Promise<void> {
    await this.#db.$transaction(async (tx) => {
      if (reference.kind === "tag") {
        const rows = await tx.$queryRaw<{ digest: string; media_type: string }[]>`
          DELETE FROM tags t USING repositories r, manifests m
          WHERE r.id = t.repository_id AND m.id = t.manifest_id AND r.name = ${repository} AND t.name = ${reference.tag}
          RETURNING m.digest, m.media_type`;
        const row = rows[0];
        if (row === undefined) throw new ManifestUnknownError(reference.tag);
        await assertMutable(tx, repository, [reference.tag], "deleted");
        await writeEvent(tx, "tag.deleted", { repository, digest: row.digest, tag: reference.tag, mediaType: row.media_type, ...actorField(actor) });
        return;
      }
      const row = await this.#lockManifest(tx, repository, reference.digest);
      if (row === undefined) throw new ManifestUnknownError(reference.digest);
      const parents = await tx.$queryRaw<{ digest: string }[]>`
        SELECT DISTINCT p.digest FROM manifest_references mr JOIN manifests p ON p.id = mr.manifest_id
        WHERE mr.child_manifest_id = ${row.id} ORDER BY p.digest`;
      if (parents.length > 0) throw new ManifestReferencedError(reference.digest, parents.map((p) => p.digest));
      await this.#deleteLocked(tx, repository, reference.digest, row, actor);
    });
    if (reference.kind === "digest") this.#usage?.touched();
  }

  /**
   * GC's delete of an untagged manifest (`delete_untagged`): by digest, through the same delete
   * and outbox events as {@link delete}, but only when — re-checked under the manifest's
   * `FOR UPDATE` row lock, which a concurrent push of the same manifest (tag or re-push) and an
   * index push naming it as a child (`FOR SHARE`) also take — it has no tag, no parent index in
   * the repository, no live subject in the repository (a referrer lives with its subject) and
   * was last pushed more than `windowSeconds` ago. Returns whether it was deleted.
   */
  async deleteIfUnused(repository: string, digest: Digest, windowSeconds: number, actor?: Actor): Promise<boolean> {
    const deleted = await this.#db.$transaction(async (tx) => {
      const row = await this.#lockManifest(tx, repository, digest);
      if (row === undefined) return false;
      // A new statement after the lock: sees every push that committed while we waited.
      const unused = await tx.$queryRaw<{ ok: boolean }[]>`
        SELECT (m.pushed_at < now() - make_interval(secs => ${windowSeconds})
          AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.manifest_id = m.id)
          AND NOT EXISTS (SELECT 1 FROM manifest_references mr WHERE mr.child_manifest_id = m.id)
          AND NOT EXISTS (SELECT 1 FROM manifests s WHERE s.repository_id = m.repository_id AND s.digest = m.subject_digest)) AS ok
        FROM manifests m WHERE m.id = ${row.id}`;
      if (unused[0]?.ok !== true) return false;
      await this.#deleteLocked(tx, repository, digest, row, actor);
      return true;
    });
    if (deleted) this.#usage?.touched();
    return deleted;
  }

  async #lockManifest(tx: Db, repository: string, digest: string): Promise<{ id: bigint; media_type: string; size: bigint } | undefined> {
    const rows = await tx.$queryRaw<{ id: bigint; media_type: string; size: bigint }[]>`
      SELECT m.id, m.media_type, m.size FROM manifests m JOIN repositories r ON r.id = m.repository_id
      WHERE r.name = ${repository} AND m.digest = ${digest}
      FOR UPDATE OF m`;
    return rows[0];
  }

  async #deleteLocked(tx: Db, repository: string, digest: string, row: { id: bigint; media_type: string; size: bigint }, actor: Actor | undefined): Promise<void> {
    const tags = await tx.$queryRaw<{ name: string }[]>`DELETE FROM tags WHERE manifest_id = ${row.id} RETURNING name`;
    await assertMutable(tx, repository, tags.map((t) => t.name), "deleted");
    await deleteManifestRow(tx, row.id);
    const base = { repository, digest, mediaType: row.media_type, ...actorField(actor) };
    for (const t of tags) await writeEvent(tx, "tag.deleted", { ...base, tag: t.name });
    await writeEvent(tx, "manifest.deleted", { ...base, size: Number(row.size) });
  }

  /**
   * Looks the repository up and locks the referenced blob rows linked to it; returns its id
   * (`undefined` when it does not exist yet) and the digests that are missing. The link rows are
   * locked too (`OF b, rb`): GC removes a link only while holding `FOR UPDATE` on it (and on the
   * blob row), so a push that waited for GC re-reads the link and sees it gone instead of writing
   * references to a blob its repository no longer links.
   */
  async #lockBlobs(
    tx: Db,
    repository: string,
    digests: string[],
  ): Promise<{ repositoryId: number | undefined; missingBlobs: string[]; blobSizes: Map<string, number> }> {
    const thresholdSeconds = Number.isFinite(this.#contentCheckAfterMs) ? this.#contentCheckAfterMs / 1000 : 1e12;
    const rows = await tx.$queryRaw<{ repository_id: number | null; digest: string | null; size: bigint | null; recent: boolean | null }[]>`
      WITH r AS (SELECT id FROM repositories WHERE name = ${repository}),
      locked AS MATERIALIZED (
        SELECT b.digest, b.size, (b.updated_at > now() - make_interval(secs => ${thresholdSeconds})) AS recent
        FROM blobs b JOIN repository_blobs rb ON rb.blob_digest = b.digest AND rb.repository_id = (SELECT id FROM r)
        WHERE b.digest = ANY(${digests}::text[]) AND b.status <> 'deleting'
        ORDER BY b.digest
        FOR SHARE OF b, rb)
      SELECT (SELECT id FROM r) AS repository_id, l.digest, l.size, l.recent
      FROM (SELECT 1) AS one LEFT JOIN locked l ON true`;
    const repositoryId = rows[0]?.repository_id ?? undefined;
    const blobSizes = new Map<string, number>();
    await Promise.all(
      rows.map(async (row) => {
        if (row.digest === null) return;
        if (row.recent || (await this.#contentExists(row.digest))) blobSizes.set(row.digest, Number(row.size));
      }),
    );
    return { repositoryId, missingBlobs: digests.filter((d) => !blobSizes.has(d)), blobSizes };
  }

  async #contentExists(digest: string): Promise<boolean> {
    return this.#driver.stat(blobDataPath(digest as Digest)).then(
      (info) => !info.isDir,
      () => false,
    );
  }

  /** Locks the child manifests present in the repository; returns digest → row id and size. */
  async #lockChildren(tx: Db, repositoryId: number, digests: string[]): Promise<Map<string, { id: bigint; size: number }>> {
    if (digests.length === 0) return new Map();
    const rows = await tx.$queryRaw<{ id: bigint; digest: string; size: bigint }[]>`
      SELECT id, digest, size FROM manifests WHERE repository_id = ${repositoryId} AND digest = ANY(${digests}::text[])
      ORDER BY id FOR SHARE`;
    return new Map(rows.map((r) => [r.digest, { id: r.id, size: Number(r.size) }]));
  }

  /** The rows of `manifest_references` for a new manifest, as parallel arrays. */
  #references(manifest: ParsedManifest, childIds: Map<string, bigint>): { kinds: string[]; digests: string[]; children: (string | null)[] } {
    const kinds: string[] = [];
    const digests: string[] = [];
    const children: (string | null)[] = [];
    const add = (kind: string, digest: string, child?: bigint) => {
      kinds.push(kind);
      digests.push(digest);
      children.push(child === undefined ? null : child.toString());
    };
    if (manifest.config !== undefined) add("config", manifest.config.digest);
    const seen = new Set<string>();
    for (const layer of manifest.layers) if (!seen.has(layer.digest) && seen.add(layer.digest)) add("layer", layer.digest);
    for (const child of referencedManifests(manifest)) add("child", child.digest, childIds.get(child.digest));
    return { kinds, digests, children };
  }

  /**
   * Creates or moves the tag, with its `tag.created` event (`previousDigest` when it moved), in
   * one statement: the tag row is locked (`FOR UPDATE`) first; nothing changes when it already
   * names the manifest. Returns whether an existing tag moved to another manifest.
   */
  async #tag(tx: Db, repositoryId: number, tag: string, manifestId: bigint, event: { repository: string; digest: string; mediaType: string; size: number; actor?: string }): Promise<boolean> {
    const payload = JSON.stringify({ ...event, tag });
    const rows = await tx.$queryRaw<{ moved: boolean }[]>`
      WITH prev AS MATERIALIZED (
        SELECT t.manifest_id FROM tags t WHERE t.repository_id = ${repositoryId}::int AND t.name = ${tag}::text FOR UPDATE),
      up AS (
        INSERT INTO tags (repository_id, name, manifest_id, updated_at)
        SELECT ${repositoryId}::int, ${tag}::text, ${manifestId}::bigint, now()
        WHERE NOT EXISTS (SELECT 1 FROM prev WHERE prev.manifest_id = ${manifestId}::bigint)
        ON CONFLICT (repository_id, name) DO UPDATE SET manifest_id = excluded.manifest_id, updated_at = now()
        RETURNING 1),
      ev AS (
        INSERT INTO outbox_events (type, payload)
        SELECT ${"tag.created" satisfies RegistryEventType}::text, ${payload}::jsonb || coalesce(
          (SELECT jsonb_build_object('previousDigest', pm.digest) FROM prev JOIN manifests pm ON pm.id = prev.manifest_id), '{}'::jsonb)
        FROM up
        RETURNING 1)
      SELECT (SELECT count(*) FROM up) AS tagged, (SELECT count(*) FROM ev) AS events,
             EXISTS (SELECT 1 FROM prev WHERE prev.manifest_id <> ${manifestId}::bigint) AS moved`;
    return rows[0]?.moved === true;
  }
}

/**
 * Every descriptor (config, layers, an index's manifests — each occurrence, not only the first of
 * a digest) whose stated size differs from the stored content's. Descriptors of content that is
 * not stored (non-distributable layers with URLs) are not in the maps and not checked.
 */
function sizeMismatches(manifest: ParsedManifest, blobSizes: Map<string, number>, children: Map<string, { size: number }>): SizeMismatch[] {
  const mismatches: SizeMismatch[] = [];
  const check = (digest: string, declared: number, actual: number | undefined) => {
    if (actual !== undefined && actual !== declared) mismatches.push({ digest, declared, actual });
  };
  for (const d of manifest.config === undefined ? manifest.layers : [manifest.config, ...manifest.layers]) check(d.digest, d.size, blobSizes.get(d.digest));
  for (const d of manifest.manifests) check(d.digest, d.size, children.get(d.digest)?.size);
  return mismatches;
}

interface ManifestRow {
  id: bigint;
  digest: string;
  media_type: string;
  size: bigint;
  payload: Uint8Array;
}
