// The execution/task store lives in @berth/executions (core starts and stops runs through it too);
// jobservice's modules keep importing it from here. Its task locks are jobservice's SessionLocks.
import type { ExecutionStore as Store } from "@berth/executions";
import { UnrecoverableError } from "@berth/queue";

export { ExecutionStore, type NewExecution, type TaskClaim } from "@berth/executions";

type Execution = NonNullable<Awaited<ReturnType<Store["execution"]>>>;

/**
 * The execution an `*.execute` job names, or why there is nothing to do: a malformed or unknown
 * id fails the job for good (no retry can fix it); an execution that already ended is skipped.
 */
export async function executionToRun(store: Store, rawId: string, kind: string): Promise<{ id: bigint; execution: Execution } | { skipped: string }> {
  let id: bigint;
  try {
    id = BigInt(rawId);
  } catch {
    throw new UnrecoverableError(`invalid execution id ${JSON.stringify(rawId)}`);
  }
  const execution = await store.execution(id);
  if (!execution) throw new UnrecoverableError(`${kind} execution ${id} does not exist`);
  if (execution.endTime) return { skipped: `execution ${id} already ended (${execution.status})` };
  return { id, execution };
}
