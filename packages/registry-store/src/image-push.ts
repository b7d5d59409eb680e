/**
 * The common manifest push in ONE statement (one round trip, no BEGIN/COMMIT): an image manifest
 * (no child manifests) whose blobs are all linked to an existing repository, were uploaded
 * recently (so their content was verified moments ago) and have the sizes its descriptors state.
 * The statement takes the same locks in the same order as {@link ManifestStore.put}'s transaction
 * — blob rows and links `FOR SHARE`, the manifest row (upsert), the tag row `FOR UPDATE` — and
 * writes the same rows and outbox events; each step runs only after the one before (`WHERE` on
 * the previous step's result). When any condition does not hold it writes nothing and answers
 * `false`: the caller then runs the full transaction, which finds out what is wrong (or checks
 * the content of older blobs in storage). A push that would MOVE an existing tag to another
 * manifest is never done here: tag immutability is checked by the full transaction
 * (immutability.ts); a tag another push created meanwhile is not overwritten either (the
 * upsert's `WHERE`), and the caller then runs the full transaction.
 */
import { raw, type SqlExecutor } from "@berth/db/sql";
import { countNewManifest } from "./db.js";
import type { RegistryEventType } from "@berth/queue/events";

export interface ImagePush {
  repository: string;
  digest: string;
  mediaType: string;
  artifactType: string | null;
  subject: string | null;
  body: Buffer;
  /** Every descriptor of a stored blob (config, layers; repeats included): digest and stated size. */
  descriptors: { digest: string; size: number }[];
  /** `manifest_references` rows: kinds (`config`, `layer`) and digests. */
  references: { kinds: string[]; digests: string[] };
  tag: string | undefined;
  /** Harbor's `extra_attrs` (JSON), or null. */
  configAttributes: string | null;
  /** Blobs touched longer ago than this need a storage check: not this path. */
  recentSeconds: number;
  /** `manifest.pushed` and `tag.created` payloads (JSON). */
  pushedPayload: string;
  tagPayload: string;
}

export async function pushImageInOneStatement(db: SqlExecutor, p: ImagePush): Promise<boolean> {
  const digests = [...new Set(p.descriptors.map((d) => d.digest))];
  const rows = await db.$queryRaw<{ ok: boolean | null; written: bigint; tag_ok: boolean | null }[]>`
    WITH r AS MATERIALIZED (SELECT id FROM repositories WHERE name = ${p.repository}::text),
    locked AS MATERIALIZED (
      SELECT b.digest, b.size, (b.updated_at > now() - make_interval(secs => ${p.recentSeconds})) AS recent
      FROM blobs b JOIN repository_blobs rb ON rb.blob_digest = b.digest AND rb.repository_id = (SELECT id FROM r)
      WHERE b.digest = ANY(${digests}::text[]) AND b.status <> 'deleting'
      ORDER BY b.digest
      FOR SHARE OF b, rb),
    ok AS MATERIALIZED (
      SELECT (SELECT id FROM r) IS NOT NULL AND coalesce(bool_and(l.digest IS NOT NULL AND l.recent AND l.size = x.s), true)
        AND NOT EXISTS (SELECT 1 FROM tags t JOIN manifests pm ON pm.id = t.manifest_id
                        WHERE t.repository_id = (SELECT id FROM r) AND t.name = ${p.tag ?? null}::text AND pm.digest <> ${p.digest}::text) AS ok
      FROM unnest(${p.descriptors.map((d) => d.digest)}::text[], ${p.descriptors.map((d) => String(d.size))}::bigint[]) AS x(d, s)
      LEFT JOIN locked l ON l.digest = x.d),
    m AS (
      INSERT INTO manifests (repository_id, digest, media_type, artifact_type, payload, size, subject_digest, config_attributes)
      SELECT (SELECT id FROM r), ${p.digest}::text, ${p.mediaType}::text, ${p.artifactType}::text, ${p.body}::bytea,
             ${p.body.byteLength}::bigint, ${p.subject}::text, ${p.configAttributes}::jsonb
      WHERE (SELECT ok FROM ok)
      ON CONFLICT (repository_id, digest) DO UPDATE SET pushed_at = now()
      RETURNING id, (xmax = 0) AS inserted),
    ${countNewManifest("m", raw("(SELECT id FROM r)"))},
    refs AS (
      INSERT INTO manifest_references (manifest_id, kind, digest)
      SELECT m.id, x.k, x.d FROM m, unnest(${p.references.kinds}::text[], ${p.references.digests}::text[]) AS x(k, d)
      WHERE m.inserted
      RETURNING 1),
    ev AS (
      INSERT INTO outbox_events (type, payload)
      SELECT ${"manifest.pushed" satisfies RegistryEventType}::text, ${p.pushedPayload}::jsonb FROM m
      RETURNING 1),
    prev AS MATERIALIZED (
      SELECT t.manifest_id FROM tags t
      WHERE t.repository_id = (SELECT id FROM r) AND t.name = ${p.tag ?? null}::text AND EXISTS (SELECT 1 FROM m)
      FOR UPDATE),
    tg AS (
      INSERT INTO tags (repository_id, name, manifest_id, updated_at)
      SELECT (SELECT id FROM r), ${p.tag ?? null}::text, m.id, now() FROM m
      WHERE ${p.tag ?? null}::text IS NOT NULL AND NOT EXISTS (SELECT 1 FROM prev WHERE prev.manifest_id = m.id)
      ON CONFLICT (repository_id, name) DO UPDATE SET manifest_id = excluded.manifest_id, updated_at = now()
        WHERE tags.manifest_id = excluded.manifest_id
      RETURNING 1),
    tev AS (
      INSERT INTO outbox_events (type, payload)
      SELECT ${"tag.created" satisfies RegistryEventType}::text, ${p.tagPayload}::jsonb || coalesce(
        (SELECT jsonb_build_object('previousDigest', pm.digest) FROM prev JOIN manifests pm ON pm.id = prev.manifest_id), '{}'::jsonb)
      FROM tg
      RETURNING 1)
    SELECT (SELECT ok FROM ok) AS ok, (SELECT count(*) FROM m) AS written,
           (${p.tag ?? null}::text IS NULL OR (SELECT count(*) FROM tg) = 1 OR EXISTS (SELECT 1 FROM prev, m WHERE prev.manifest_id = m.id)) AS tag_ok,
           (SELECT count(*) FROM refs) AS refs, (SELECT count(*) FROM ev) AS events,
           (SELECT count(*) FROM tg) AS tagged, (SELECT count(*) FROM tev) AS tag_events`;
  return rows[0]?.ok === true && Number(rows[0].written) === 1 && rows[0].tag_ok === true;
}
