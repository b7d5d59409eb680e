/**
 * `replication.execute`: an execution's first step. It lists the source through its adapter,
 * applies the policy's filters (name, tag, label, resource) and namespace rewriting, and creates one
 * task per repository, each queued as `replication.task`. A retried job re-queues the tasks it
 * already created; a stop before the tasks exist ends the execution Stopped.
 */
import { FINAL_STATUSES } from "@berth/executions";
import type { Job } from "@berth/queue";
import { compileFilters, literalNames, rewriteRepository, type PolicyFilter } from "@berth/replication";
import { executionToRun } from "../executions/execution-store.js";
import type { ArtifactRef } from "./adapters/adapter.js";
import { executionJobId, mapLimit, resourceLabel, taskJobId, type ReplicationDeps, type TaskAttrs } from "./replication-deps.js";

/** Repositories whose tags are listed at once. */
const LISTING_CONCURRENCY = 8;

export { executionJobId };

export function replicationExecuteHandler(deps: ReplicationDeps) {
  const log = deps.logger.child({ module: "replication" });
  return async (job: Job<{ executionId: string }>): Promise<{ tasks: number } | { skipped: string }> => {
    const opened = await executionToRun(deps.executions, job.data.executionId, "replication");
    if ("skipped" in opened) return opened;
    const { id, execution } = opened;
    const existing = await deps.db.task.findMany({ where: { executionId: id }, select: { id: true, status: true } });
    if (existing.length) {
      await enqueueTasks(deps, existing.filter((t) => !FINAL_STATUSES.has(t.status)).map((t) => t.id));
      return { tasks: existing.length };
    }
    if (execution.stopRequestedAt) {
      await deps.executions.finish(id, "Stopped", "stopped before it started");
      return { skipped: "stopped" };
    }
    const policy = await deps.db.replicationPolicy.findUnique({ where: { id: Number(execution.vendorId) } });
    if (!policy) {
      await deps.executions.finish(id, "Error", "the replication policy was deleted");
      return { skipped: "policy deleted" };
    }
    await deps.executions.markRunning(id);
    // Chunked uploads nobody continued for a week are forgotten (their destinations dropped them too).
    await deps.uploads.purgeStale().catch((err: unknown) => log.warn("cannot purge stale replication uploads", { err: (err as Error).message }));
    const filters = compileFilters(policy.filters as unknown as PolicyFilter[]);
    const { signal, done } = deps.stops.watch(id);
    const tasks: TaskAttrs[] = [];
    try {
      const source = await deps.adapters.side(policy.srcRegistryId, "source");
      const destination = await deps.adapters.side(policy.destRegistryId, "destination");
      await deps.executions.mergeAttrs(id, { policy_name: policy.name, src: source.label, dest: destination.label });
      const selected = (name: string) => [name, ...(source.aliases?.(name) ?? [])].some(filters.repository);
      const names = (await source.listRepositories({ literalNames: literalNames(filters.namePattern) }, signal)).filter(selected).sort();
      await mapLimit(names, LISTING_CONCURRENCY, async (repository) => {
        const artifacts: ArtifactRef[] = (await source.listArtifacts(repository, signal, { labels: filters.labels.length > 0 }))
          .filter((a) => filters.labelsSelect(a.labels ?? []))
          .map(({ labels: _labels, ...a }) => ({ ...a, tags: a.tags.filter(filters.tag) }))
          .filter((a) => a.tags.length > 0);
        if (artifacts.length === 0) return;
        let dst = repository;
        let problem: string | undefined;
        try {
          dst = rewriteRepository(repository, policy.destNamespace, policy.destNamespaceReplaceCount);
        } catch (err) {
          problem = (err as Error).message;
        }
        tasks.push({
          policy_id: policy.id,
          operation: "copy",
          resource_type: filters.resource,
          src_repository: repository,
          dst_repository: dst,
          artifacts,
          src_resource: resourceLabel(repository, artifacts),
          dst_resource: resourceLabel(dst, artifacts),
          bytes: 0,
          ...(problem && { problem }),
        });
      });
    } catch (err) {
      if (signal.aborted) {
        await deps.executions.finish(id, "Stopped", "stopped while listing the source");
        return { skipped: "stopped" };
      }
      const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      log.warn("replication listing failed", { executionId: String(id), err: (err as Error).message, final });
      if (final) await deps.executions.finish(id, "Error", `listing the source failed: ${(err as Error).message}`);
      throw err;
    } finally {
      done();
    }
    tasks.sort((a, b) => a.src_repository.localeCompare(b.src_repository));
    const ids = await deps.executions.addTasks(id, tasks as never[]);
    await enqueueTasks(deps, ids);
    log.info("replication execution started", { executionId: String(id), policy: policy.name, tasks: ids.length });
    return { tasks: ids.length };
  };
}

export async function enqueueTasks(deps: Pick<ReplicationDeps, "queues">, ids: readonly bigint[]): Promise<void> {
  if (ids.length === 0) return;
  await deps.queues.enqueueBulk("replication.task", ids.map((id) => ({ data: { taskId: String(id) }, options: { jobId: taskJobId(id) } })));
}
