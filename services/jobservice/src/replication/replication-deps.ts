import type { PrismaClient } from "@berth/db";
import type { ExecutionStore } from "@berth/executions";
import type { Logger } from "@berth/logger";
import type { Queues } from "@berth/queue";
import type { AdapterFactory } from "./adapters/adapter-factory.js";
import type { MountHints } from "./copy-blob.js";
import type { ResumeStore } from "./resume-store.js";
import type { StopWatch } from "./stop-watch.js";

/** What replication's jobs and subscribers work with (built once in jobservice.ts). */
export interface ReplicationDeps {
  db: PrismaClient;
  executions: ExecutionStore;
  queues: Queues;
  logger: Logger;
  adapters: AdapterFactory;
  stops: StopWatch;
  uploads: ResumeStore;
  mounts: MountHints;
  /** Chunk size of `copy_by_chunk` copies (bytes). */
  chunkSize: number;
}

/** A task's attributes (`tasks.extra_attrs`), written when the execution finds the work. */
export interface TaskAttrs {
  policy_id: number;
  operation: "copy" | "deletion";
  resource_type: "image" | "artifact";
  src_repository: string;
  dst_repository: string;
  artifacts: { tags: string[]; digest?: string }[];
  src_resource: string;
  dst_resource: string;
  bytes: number;
  /** Set when the execution already knows the task cannot succeed (its name cannot be rewritten). */
  problem?: string;
}

/** Harbor's `src_resource`/`dst_resource` words: `repo:[t1,t2]`. */
export function resourceLabel(repository: string, artifacts: TaskAttrs["artifacts"]): string {
  const tags = artifacts.flatMap((a) => a.tags);
  const digests = artifacts.filter((a) => a.tags.length === 0 && a.digest).map((a) => a.digest!);
  return `${repository}:[${[...tags, ...digests].join(",")}]`;
}

/** BullMQ job ids, so a task or execution is never queued twice. */
export const taskJobId = (id: bigint | string) => `replication-task-${id}`;
export const executionJobId = (id: bigint | string) => `replication-execution-${id}`;

/** Runs `fn` over `items`, `limit` at a time. */
export async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}
