/**
 * `replication.task`: one repository of an execution — its artifacts copied (or, for deletion
 * tasks, deleted) on the destination. A failed attempt is retried by BullMQ with backoff (the
 * retry skips what arrived and resumes a chunked blob); a stop aborts in-flight transfers within
 * about a second; a task's failure is its own, never its siblings'.
 */
import type { TaskClaim } from "@berth/executions";
import { UnrecoverableError, type Job } from "@berth/queue";
import type { ThrottleEvent } from "@berth/distribution-client";
import { replicationBytes, replicationTasks } from "../jobservice-metrics.js";
import type { Destination } from "./adapters/adapter.js";
import { copyArtifact, newStats, type CopyStats } from "./copy-artifact.js";
import type { CopyContext } from "./copy-blob.js";
import type { ReplicationDeps, TaskAttrs } from "./replication-deps.js";

export function replicationTaskHandler(deps: ReplicationDeps) {
  return async (job: Job<{ taskId: string }>): Promise<unknown> => {
    let id: bigint;
    try {
      id = BigInt(job.data.taskId);
    } catch {
      throw new UnrecoverableError(`invalid task id ${JSON.stringify(job.data.taskId)}`);
    }
    // One worker at a time per task, never again once it finished (a redelivered or stalled job).
    const claim = await deps.executions.claim(id);
    if (claim.kind === "missing") throw new UnrecoverableError(`replication task ${id} does not exist`);
    if (claim.kind === "busy") throw new Error(`replication task ${id} is being worked on by another worker`);
    if (claim.kind === "finished") return { skipped: claim.status };
    try {
      return await run(job, id, claim.task);
    } finally {
      await claim.release();
    }
  };

  async function run(job: Job<{ taskId: string }>, id: bigint, task: Extract<TaskClaim, { kind: "claimed" }>["task"]): Promise<unknown> {
    if (task.execution.stopRequestedAt) {
      await deps.executions.stop(id, "stopped before it started");
      return { skipped: "stopped" };
    }
    const attrs = task.extraAttrs as unknown as TaskAttrs;
    const policy = await deps.db.replicationPolicy.findUnique({ where: { id: attrs.policy_id } });
    if (!policy) {
      await deps.executions.stop(id, "the replication policy was deleted");
      return { skipped: "policy deleted" };
    }
    const attempt = await deps.executions.startAttempt(task);
    const log = (line: string) => deps.executions.appendLog(id, line);
    const { signal, done } = deps.stops.watch(task.executionId);
    await log(`attempt ${attempt}: ${attrs.operation} ${attrs.src_resource} -> ${attrs.dst_resource}`);
    try {
      if (attrs.problem) throw new UnrecoverableError(attrs.problem);
      const onThrottle = (e: ThrottleEvent) => void log(`slowed down: ${e.method} ${e.url} answered ${e.status}; sending again in ${e.waitMs} ms (${e.attempt}. time)`).catch(() => undefined);
      const source = await deps.adapters.side(policy.srcRegistryId, "source", onThrottle);
      const destination = await deps.adapters.side(policy.destRegistryId, "destination", onThrottle);
      const ctx: CopyContext = {
        source,
        destination,
        srcRepo: attrs.src_repository,
        dstRepo: attrs.dst_repository,
        signal,
        taskId: id,
        speed: policy.speed > 0 ? policy.speed * 1024 : undefined,
        chunkSize: policy.copyByChunk ? deps.chunkSize : undefined,
        uploads: deps.uploads,
        mounts: deps.mounts,
        log,
        addBytes: (n) => {
          replicationBytes.inc(n);
          return deps.executions.addToTaskCounter(id, "bytes", n);
        },
      };
      const summary = attrs.operation === "deletion" ? await deleteArtifacts(ctx, destination, attrs) : summarize(await copyArtifacts(ctx, destination, attrs, policy.override));
      replicationTasks.inc({ outcome: "Success" });
      await deps.executions.finishAttempt(id, { status: "Success", message: summary, logLine: `done: ${summary}`, final: true });
      return { summary };
    } catch (err) {
      if (signal.aborted) {
        replicationTasks.inc({ outcome: "Stopped" });
        await deps.executions.finishAttempt(id, { status: "Stopped", message: "stopped", logLine: "stopped: the execution was stopped; transfers in flight were aborted", final: true });
        return { stopped: true };
      }
      const message = (err as Error).message;
      replicationTasks.inc({ outcome: "Error" });
      const final = err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      await deps.executions.finishAttempt(id, { status: "Error", message, logLine: `attempt ${attempt} failed: ${message}${final ? "" : " (retried with backoff)"}`, final });
      throw err;
    } finally {
      done();
    }
  }
}

async function copyArtifacts(ctx: CopyContext, destination: Destination, attrs: TaskAttrs, override: boolean): Promise<CopyStats> {
  await destination.prepare([attrs.dst_repository], ctx.signal);
  const stats = newStats();
  for (const artifact of attrs.artifacts) await copyArtifact(ctx, artifact, { override, resource: attrs.resource_type }, stats);
  return stats;
}

function summarize(s: CopyStats): string {
  return `${s.artifacts} artifact(s) copied, ${s.skipped} already there or skipped, ${s.refused} tag(s) not overwritten; blobs: ${s.blobs.copied} copied, ${s.blobs.mounted} mounted, ${s.blobs.present} already there`;
}

async function deleteArtifacts(ctx: CopyContext, destination: Destination, attrs: TaskAttrs): Promise<string> {
  const lines: string[] = [];
  for (const a of attrs.artifacts) {
    if (a.tags.length === 0 && a.digest) {
      const deleted = await destination.deleteManifest(attrs.dst_repository, a.digest, ctx.signal);
      lines.push(deleted ? `deleted ${attrs.dst_repository}@${a.digest} with its tags` : `${attrs.dst_repository}@${a.digest} was not there`);
    }
    for (const tag of a.tags) lines.push(`${attrs.dst_repository}: ${await destination.deleteTag(attrs.dst_repository, tag, a.digest ?? "", ctx.signal)}`);
  }
  for (const line of lines) await ctx.log(line);
  return lines.join("; ");
}
