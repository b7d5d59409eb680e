/**
 * Executions and tasks (Harbor's model): every write to `executions` and `tasks` goes through
 * here. An execution is one policy triggered by one event; its tasks are the units of work
 * (for webhooks, one per target). Each attempt appends one line to the task's log.
 */
import type { Prisma, PrismaClient, Task } from "@berth/db";
import type { JobStatus } from "@berth/webhooks";
import type { SessionLocks } from "./session-locks.js";

const FINAL: ReadonlySet<string> = new Set(["Success", "Error", "Stopped"]);

type TaskWithExecution = NonNullable<Awaited<ReturnType<ExecutionStore["task"]>>>;

/**
 * What {@link ExecutionStore.claim} found: the task to work on (its lock held until `release`),
 * or why there is nothing to do now.
 */
export type TaskClaim =
  | { kind: "claimed"; task: TaskWithExecution; release(): Promise<void> }
  /** Another live worker holds the task (a redelivered job while the first worker is paused): try again later. */
  | { kind: "busy" }
  /** It has finished (a redelivered job whose work was done): nothing to do. */
  | { kind: "finished"; status: string }
  | { kind: "missing" };

/** What to create: the execution's identity and one `extraAttrs` per task. */
export interface NewExecution {
  vendorType: string;
  vendorId: bigint;
  eventId: string;
  trigger?: string;
  extraAttrs: Prisma.InputJsonObject;
  tasks: Prisma.InputJsonObject[];
}

export class ExecutionStore {
  constructor(
    private readonly db: PrismaClient,
    private readonly locks: SessionLocks,
  ) {}

  /**
   * Claims task `id` for one attempt: takes its session lock (held by this process's database
   * session until `release`, so a paused worker keeps it and a dead one loses it), then re-reads
   * the task under it. Every job that works on a task starts here, so however often BullMQ
   * delivers the job — retries, a stalled job handed to another replica — the task's effect is
   * applied by one worker at a time and never again after the task has finished.
   */
  async claim(id: bigint): Promise<TaskClaim> {
    const lock = await this.locks.tryLock("task", id);
    if (!lock) return { kind: "busy" };
    try {
      const task = await this.task(id);
      if (!task) {
        await lock.release();
        return { kind: "missing" };
      }
      if (FINAL.has(task.status)) {
        await lock.release();
        return { kind: "finished", status: task.status };
      }
      return { kind: "claimed", task, release: () => lock.release() };
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  /**
   * Creates the execution and its tasks unless this (vendor, event) already has one; returns the
   * ids of its tasks that have not finished (so a retried fan-out re-enqueues exactly those).
   */
  async ensure(input: NewExecution): Promise<{ executionId: bigint; pendingTaskIds: bigint[]; created: boolean }> {
    return this.db.$transaction(async (tx) => {
      const existing = await tx.execution.findUnique({
        where: { vendorType_vendorId_eventId: { vendorType: input.vendorType, vendorId: input.vendorId, eventId: input.eventId } },
        include: { tasks: { select: { id: true, status: true } } },
      });
      if (existing) return { executionId: existing.id, pendingTaskIds: existing.tasks.filter((t) => !FINAL.has(t.status)).map((t) => t.id), created: false };
      const execution = await tx.execution.create({
        data: {
          vendorType: input.vendorType,
          vendorId: input.vendorId,
          eventId: input.eventId,
          trigger: input.trigger ?? "EVENT",
          extraAttrs: input.extraAttrs,
          status: input.tasks.length ? "Pending" : "Success",
          ...(input.tasks.length ? {} : { endTime: new Date() }),
        },
      });
      const ids: bigint[] = [];
      for (const extraAttrs of input.tasks) ids.push((await tx.task.create({ data: { executionId: execution.id, extraAttrs }, select: { id: true } })).id);
      return { executionId: execution.id, pendingTaskIds: ids, created: true };
    });
  }

  /** The task with its execution, or `null`. */
  task(id: bigint) {
    return this.db.task.findUnique({ where: { id }, include: { execution: true } });
  }

  /** Marks an attempt started: status Running, `run_count` + 1, start time on the first run. */
  async startAttempt(task: Task): Promise<number> {
    const updated = await this.db.task.update({
      where: { id: task.id },
      data: { status: "Running", runCount: { increment: 1 }, ...(task.startTime ? {} : { startTime: new Date() }) },
      select: { runCount: true, executionId: true },
    });
    await this.db.execution.updateMany({ where: { id: updated.executionId, status: "Pending" }, data: { status: "Running" } });
    return updated.runCount;
  }

  /**
   * Records an attempt's outcome: one log line always; the final status when `final` (Success,
   * or Error after the last retry), else back to Pending with the error as status message.
   */
  async finishAttempt(taskId: bigint, outcome: { status: JobStatus; message: string; logLine: string; final: boolean }): Promise<void> {
    const line = `${new Date().toISOString()} ${outcome.logLine}\n`;
    const task = await this.db.task.update({
      where: { id: taskId },
      data: {
        status: outcome.final ? outcome.status : "Pending",
        statusMessage: outcome.message.slice(0, 1000),
        ...(outcome.final ? { endTime: new Date() } : {}),
      },
      select: { executionId: true },
    });
    // Appending in SQL keeps concurrent attempts' lines (retries never overlap, but be safe).
    await this.db.$executeRaw`UPDATE tasks SET log = log || ${line} WHERE id = ${taskId}`;
    if (outcome.final) await this.refreshExecution(task.executionId);
  }

  /** Marks a task that cannot run (its policy is gone) as Stopped. */
  async stop(taskId: bigint, message: string): Promise<void> {
    const task = await this.db.task.update({ where: { id: taskId }, data: { status: "Stopped", statusMessage: message, endTime: new Date() }, select: { executionId: true } });
    await this.refreshExecution(task.executionId);
  }

  /** Derives the execution's status from its tasks: Running until all finish, then Error if any failed. */
  async refreshExecution(executionId: bigint): Promise<void> {
    const tasks = await this.db.task.findMany({ where: { executionId }, select: { status: true } });
    const done = tasks.every((t) => FINAL.has(t.status));
    if (!done) return;
    const failed = tasks.filter((t) => t.status === "Error").length;
    const stopped = tasks.filter((t) => t.status === "Stopped").length;
    const status: JobStatus = failed ? "Error" : stopped ? "Stopped" : "Success";
    const message = failed ? `${failed} of ${tasks.length} tasks failed` : "";
    await this.db.execution.updateMany({ where: { id: executionId, endTime: null }, data: { status, statusMessage: message, endTime: new Date() } });
  }
}
