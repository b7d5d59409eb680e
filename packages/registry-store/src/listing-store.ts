/** Read-only listings: tags of a repository, the catalog, and referrers of a manifest. */
import { sql, type Sql, type SqlDatabase } from "@berth/db/sql";
import { buildReferrersIndex, parseManifest, type Digest, type ReferrerCandidate, type ReferrersResult } from "@berth/oci";
import { findRepositoryId } from "./db.js";
import { NameUnknownError } from "./errors.js";

/** One page of a lexically ordered listing. */
export interface Page {
  items: string[];
  /** True when more items follow the last one returned. */
  hasMore: boolean;
}

/** Paging of a listing: at most `n` items after `last` (both optional). */
export interface PageQuery {
  n?: number | undefined;
  last?: string | undefined;
}

/** Default (and maximum) page size when the client gives none. */
export const DEFAULT_PAGE_SIZE = 1000;

/** Lists tags, repositories and referrers. */
export class ListingStore {
  readonly #db: SqlDatabase;

  constructor(options: { db: SqlDatabase }) {
    this.#db = options.db;
  }

  /**
   * Tags of `repository` in lexical (byte) order, after `last`.
   *
   * @throws {NameUnknownError}
   */
  async tags(repository: string, query: PageQuery = {}): Promise<Page> {
    const repositoryId = await findRepositoryId(this.#db, repository);
    if (repositoryId === undefined) throw new NameUnknownError(repository);
    const n = query.n ?? DEFAULT_PAGE_SIZE;
    if (n === 0) return { items: [], hasMore: false };
    const rows = await this.#db.$queryRaw<{ name: string }[]>(tagsPageSql(repositoryId, query.last ?? "", n + 1));
    return page(rows.map((r) => r.name), n);
  }

  /** Repository names in lexical (byte) order, after `last`. */
  async catalog(query: PageQuery = {}): Promise<Page> {
    const n = query.n ?? DEFAULT_PAGE_SIZE;
    if (n === 0) return { items: [], hasMore: false };
    const rows = await this.#db.$queryRaw<{ name: string }[]>(catalogPageSql(query.last ?? "", n + 1));
    return page(rows.map((r) => r.name), n);
  }

  /**
   * The referrers index of `subject` in `repository` (manifests whose `subject` is it), oldest
   * first, filtered by `artifactType`. An unknown repository or subject gives an empty index.
   */
  async referrers(repository: string, subject: Digest, artifactType?: string): Promise<ReferrersResult> {
    const rows = await this.#db.$queryRaw<{ digest: string; media_type: string; size: bigint; payload: Uint8Array }[]>`
      SELECT m.digest, m.media_type, m.size, m.payload
      FROM manifests m JOIN repositories r ON r.id = m.repository_id
      WHERE r.name = ${repository} AND m.subject_digest = ${subject}
      ORDER BY m.created_at, m.id`;
    const candidates: ReferrerCandidate[] = rows.map((row) => ({
      digest: row.digest as Digest,
      size: Number(row.size),
      manifest: parseManifest(Buffer.from(row.payload), row.media_type),
    }));
    return buildReferrersIndex(subject, candidates, { artifactType });
  }
}

/** Up to `limit` tag names of a repository after `last`, read in the order of `tags_repository_name_c_idx`. */
export function tagsPageSql(repositoryId: number, last: string, limit: number): Sql {
  return sql`SELECT name FROM tags WHERE repository_id = ${repositoryId} AND name COLLATE "C" > ${last}
    ORDER BY name COLLATE "C" LIMIT ${limit}`;
}

/**
 * Up to `limit` repository names after `last`. `NULLS FIRST` (a name is never null) is the order
 * of `repositories_name_c_idx`, which the project's repository list shares: without it PostgreSQL
 * cannot read the index in order and sorts every name after `last` for each page (52 ms at
 * 100,000 repositories, 0.8 ms with it).
 */
export function catalogPageSql(last: string, limit: number): Sql {
  return sql`SELECT name FROM repositories WHERE name COLLATE "C" > ${last}
    ORDER BY name COLLATE "C" NULLS FIRST LIMIT ${limit}`;
}

function page(items: string[], n: number): Page {
  return items.length > n ? { items: items.slice(0, n), hasMore: true } : { items, hasMore: false };
}
