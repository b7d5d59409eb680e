/**
 * `replication_uploads`: the chunked uploads replication tasks have open on destinations — the
 * session's location and the offset the destination acknowledged, saved after every chunk, so a
 * retried (or restarted) task continues from there. Every write to the table comes through here.
 */
import type { PrismaClient } from "@berth/db";

export interface SavedUpload {
  location: string;
  offset: number;
}

/** Saved uploads untouched for this long are forgotten (destinations expire their sessions too). */
export const STALE_UPLOAD_MS = 7 * 24 * 3600_000;

export class ResumeStore {
  constructor(private readonly db: PrismaClient) {}

  async find(destination: string, repository: string, digest: string): Promise<SavedUpload | undefined> {
    const row = await this.db.replicationUpload.findUnique({ where: { destination_repository_digest: { destination, repository, digest } } });
    return row ? { location: row.location, offset: Number(row.offset) } : undefined;
  }

  async save(key: { destination: string; repository: string; digest: string }, upload: SavedUpload & { size: number; taskId: bigint }): Promise<void> {
    const data = { location: upload.location, offset: BigInt(upload.offset), size: BigInt(upload.size), taskId: upload.taskId };
    await this.db.replicationUpload.upsert({ where: { destination_repository_digest: key }, create: { ...key, ...data }, update: data });
  }

  async delete(key: { destination: string; repository: string; digest: string }): Promise<void> {
    await this.db.replicationUpload.deleteMany({ where: key });
  }

  /** Forgets uploads nobody continued for {@link STALE_UPLOAD_MS}. */
  async purgeStale(): Promise<number> {
    return (await this.db.replicationUpload.deleteMany({ where: { updatedAt: { lt: new Date(Date.now() - STALE_UPLOAD_MS) } } })).count;
  }
}
