/**
 * Folds the usage deltas of projects without a limit (quota-store.ts) into `used_storage`, and
 * the count rows of projects' repositories and of repositories' artifacts into one row each
 * (db.ts), soon after they are written: the stores call {@link UsageFolder.touched} after a
 * charge that appended a delta, after creating a repository and after a manifest push or
 * delete, and the folder runs {@link foldUsage}, {@link foldRepositoryCounts} and
 * {@link foldArtifactCounts} once per interval while there are such writes (`Folder` of
 * `@berth/db/sql`).
 */
import { Folder, type SqlDatabase } from "@berth/db/sql";
import { foldArtifactCounts, foldRepositoryCounts } from "./db.js";
import { foldUsage } from "./quota-store.js";

export interface UsageFolderOptions {
  db: SqlDatabase;
  /** How soon after a write its deltas are folded (ms, default 1000). */
  intervalMs?: number;
  /** Told about failed folds (the deltas stay; the next fold takes them). */
  onError?: (err: unknown) => void;
}

export class UsageFolder extends Folder {
  constructor(options: UsageFolderOptions) {
    const { db, ...rest } = options;
    let artifactsSince = 0n;
    const foldArtifacts = async () => {
      artifactsSince = await foldArtifactCounts(db, artifactsSince);
    };
    super({ ...rest, fold: () => Promise.all([foldUsage(db), foldRepositoryCounts(db), foldArtifacts()]) });
  }
}
