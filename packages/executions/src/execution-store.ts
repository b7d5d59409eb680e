/**
 * Executions and tasks (Harbor's model): every write to `executions` and `tasks` goes through
 * here. An execution is one policy triggered by one event (or by hand, or by a schedule); its
 * tasks are the units of work (for webhooks, one per target; for replication, one per
 * repository). Each attempt appends to the task's log.
 */
import type { Prisma, PrismaClient, Task } from "@berth/db";

/** The one status set of executions and tasks. */
export const EXECUTION_STATUSES = ["Pending", "Running", "Stopped", "Error", "Success"] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];
/** Statuses a task or execution never leaves. */
export const FINAL_STATUSES: ReadonlySet<string> = new Set<ExecutionStatus>(["Success", "Error", "Stopped"]);
const FINAL = FINAL_STATUSES;

/** What to create: the execution's identity and one `extraAttrs` per task. */
export interface NewExecution {
  vendorType: string;
  vendorId: bigint;
  eventId: string;
  trigger?: string;
  extraAttrs: Prisma.InputJsonObject;
  tasks: Prisma.InputJsonObject[];
}

/** Tasks of an execution by status. */
export type StatusCounts = Record<ExecutionStatus, number> & { total: number };

/** An outbox event to write in the transaction that makes an execution final. */
export type FinalEvent = (execution: { id: bigint; vendorType: string; vendorId: bigint; status: ExecutionStatus; trigger: string }) => { type: string; payload: Prisma.InputJsonObject } | undefined;

/** A Prisma client or an interactive transaction of one. */
type Client = PrismaClient | Prisma.TransactionClient;

/**
 * Locks on tasks held by a live database session (jobservice's `SessionLocks`): a paused worker
 * keeps its lock, a dead one loses it with its connection.
 */
export interface TaskLocks {
  tryLock(space: "task", id: bigint): Promise<{ release(): Promise<void> } | undefined>;
}

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

export interface ExecutionStoreOptions {
  /** Task locks for {@link ExecutionStore.claim} (jobservice; core never claims tasks). */
  locks?: TaskLocks | undefined;
  /** Called when an execution becomes final (e.g. replication's `replication.finished` event). */
  finalEvent?: FinalEvent | undefined;
}

export class ExecutionStore {
  private readonly finalEvent: FinalEvent | undefined;
  private readonly locks: TaskLocks | undefined;

  constructor(
    private readonly db: PrismaClient,
    options: ExecutionStoreOptions = {},
  ) {
    this.finalEvent = options.finalEvent;
    this.locks = options.locks;
  }

  /**
   * Claims task `id` for one attempt: takes its session lock (held by this process's database
   * session until `release`, so a paused worker keeps it and a dead one loses it), then re-reads
   * the task under it. Every job that works on a task starts here, so however often BullMQ
   * delivers the job — retries, a stalled job handed to another replica — the task's effect is
   * applied by one worker at a time and never again after the task has finished.
   */
  async claim(id: bigint): Promise<TaskClaim> {
    if (!this.locks) throw new Error("this ExecutionStore was built without task locks");
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

  /**
   * Creates a Pending execution without tasks yet (its run adds them with {@link addTasks}), in
   * `tx` when given — so a caller can commit it with the outbox event that starts it.
   */
  static async create(tx: Client, input: Omit<NewExecution, "tasks" | "eventId"> & { eventId?: string }): Promise<bigint> {
    const row = await tx.execution.create({
      data: { vendorType: input.vendorType, vendorId: input.vendorId, eventId: input.eventId ?? null, trigger: input.trigger ?? "MANUAL", extraAttrs: input.extraAttrs },
      select: { id: true },
    });
    return row.id;
  }

  /** Marks a Pending execution Running (its run began). */
  async markRunning(executionId: bigint): Promise<void> {
    await this.db.execution.updateMany({ where: { id: executionId, status: "Pending" }, data: { status: "Running" } });
  }

  /** Merges `attrs` into the execution's extra attributes. */
  async mergeAttrs(executionId: bigint, attrs: Prisma.InputJsonObject): Promise<void> {
    await this.db.$executeRaw`UPDATE executions SET extra_attrs = extra_attrs || ${JSON.stringify(attrs)}::jsonb WHERE id = ${executionId}`;
  }

  /**
   * Ends an execution that has no tasks to wait for (its run failed before creating any, or found
   * nothing to do), with the final event; a no-op when it already ended.
   */
  async finish(executionId: bigint, status: ExecutionStatus, message: string): Promise<void> {
    await this.db.$transaction(async (tx) => {
      const row = await tx.execution.findUnique({ where: { id: executionId }, select: { id: true, vendorType: true, vendorId: true, trigger: true, endTime: true } });
      if (!row || row.endTime) return;
      await tx.execution.update({ where: { id: executionId }, data: { status, statusMessage: message.slice(0, 1000), endTime: new Date() } });
      const event = this.finalEvent?.({ id: row.id, vendorType: row.vendorType, vendorId: row.vendorId, status, trigger: row.trigger });
      if (event) await tx.outboxEvent.create({ data: { type: event.type, payload: event.payload } });
    });
  }

  /** Whether an execution of this vendor is still Pending or Running. */
  static async hasActive(tx: Client, vendorType: string, vendorId: bigint): Promise<boolean> {
    return (await tx.execution.count({ where: { vendorType, vendorId, status: { in: ["Pending", "Running"] } } })) > 0;
  }

  /** The execution with its extra attributes, or `null`. */
  execution(id: bigint) {
    return this.db.execution.findUnique({ where: { id } });
  }

  /**
   * Adds tasks to an execution (its run found the work): returns their ids. With none, the
   * execution is final at once (Success, or Stopped when a stop was asked for).
   */
  async addTasks(executionId: bigint, tasks: Prisma.InputJsonObject[]): Promise<bigint[]> {
    const ids = await this.db.$transaction(async (tx) => {
      const created = await tx.task.createManyAndReturn({ data: tasks.map((extraAttrs) => ({ executionId, extraAttrs })), select: { id: true } });
      // A stop that came while the tasks were being found stops them before they start.
      const stopping = await tx.execution.findFirst({ where: { id: executionId, stopRequestedAt: { not: null } }, select: { id: true } });
      if (stopping) await tx.task.updateMany({ where: { executionId, status: "Pending" }, data: { status: "Stopped", statusMessage: "stopped before it started", endTime: new Date() } });
      return created.map((t) => t.id);
    });
    await this.refreshExecution(executionId);
    return ids;
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
  async finishAttempt(taskId: bigint, outcome: { status: ExecutionStatus; message: string; logLine: string; final: boolean }): Promise<void> {
    const line = `${new Date().toISOString()} ${outcome.logLine}\n`;
    // One statement: a reader never sees the final status without its log line. Appending in SQL
    // keeps concurrent attempts' lines (retries never overlap, but be safe).
    const status = outcome.final ? outcome.status : "Pending";
    const rows = await this.db.$queryRaw<{ execution_id: bigint }[]>`
      UPDATE tasks SET status = ${status}, status_message = ${outcome.message.slice(0, 1000)}, log = log || ${line},
        end_time = CASE WHEN ${outcome.final} THEN now() ELSE end_time END, update_time = now()
      WHERE id = ${taskId} RETURNING execution_id`;
    const task = rows[0];
    if (!task) throw new Error(`task ${taskId} does not exist`);
    if (outcome.final) await this.refreshExecution(task.execution_id);
  }

  /** Appends one timestamped line to a task's log. */
  async appendLog(taskId: bigint, message: string): Promise<void> {
    const line = `${new Date().toISOString()} ${message}\n`;
    await this.db.$executeRaw`UPDATE tasks SET log = log || ${line} WHERE id = ${taskId}`;
  }

  /** Adds `n` to the numeric task attribute `key` (e.g. bytes copied), atomically. */
  async addToTaskCounter(taskId: bigint, key: string, n: number): Promise<void> {
    if (n === 0) return;
    await this.db.$executeRaw`
      UPDATE tasks SET extra_attrs = jsonb_set(extra_attrs, ARRAY[${key}]::text[], to_jsonb(coalesce((extra_attrs->>${key})::bigint, 0) + ${BigInt(n)}::bigint))
      WHERE id = ${taskId}`;
  }

  /** Marks a task that cannot run (its policy is gone, or a stop came) as Stopped. */
  async stop(taskId: bigint, message: string): Promise<void> {
    const task = await this.db.task.update({ where: { id: taskId }, data: { status: "Stopped", statusMessage: message, endTime: new Date() }, select: { executionId: true } });
    await this.refreshExecution(task.executionId);
  }

  /**
   * Asks an execution to stop (in `tx` when given): pending tasks are stopped at once; running
   * ones see {@link stopRequested} and abort. Returns false when it was already final.
   */
  static async requestStop(tx: Client, executionId: bigint): Promise<boolean> {
    const asked = await tx.execution.updateMany({ where: { id: executionId, endTime: null }, data: { stopRequestedAt: new Date() } });
    if (asked.count === 0) return false;
    await tx.task.updateMany({ where: { executionId, status: "Pending" }, data: { status: "Stopped", statusMessage: "stopped before it started", endTime: new Date() } });
    return true;
  }

  /** {@link ExecutionStore.requestStop} in its own transaction, then the execution's status brought up to date. */
  async requestStop(executionId: bigint): Promise<boolean> {
    const asked = await this.db.$transaction((tx) => ExecutionStore.requestStop(tx, executionId));
    if (asked) await this.refreshExecution(executionId);
    return asked;
  }

  /** Of `executionIds`, those someone asked to stop. */
  async stopRequested(executionIds: readonly bigint[]): Promise<bigint[]> {
    if (executionIds.length === 0) return [];
    const rows = await this.db.execution.findMany({ where: { id: { in: [...executionIds] }, stopRequestedAt: { not: null } }, select: { id: true } });
    return rows.map((r) => r.id);
  }

  /** Tasks per status for each execution. */
  async counts(executionIds: readonly bigint[]): Promise<Map<bigint, StatusCounts>> {
    const out = new Map<bigint, StatusCounts>();
    for (const id of executionIds) out.set(id, { total: 0, Pending: 0, Running: 0, Stopped: 0, Error: 0, Success: 0 });
    if (executionIds.length === 0) return out;
    const rows = await this.db.task.groupBy({ by: ["executionId", "status"], where: { executionId: { in: [...executionIds] } }, _count: { _all: true } });
    for (const r of rows) {
      const c = out.get(r.executionId)!;
      if ((EXECUTION_STATUSES as readonly string[]).includes(r.status)) c[r.status as ExecutionStatus] += r._count._all;
      c.total += r._count._all;
    }
    return out;
  }

  /**
   * Derives the execution's status from its tasks once all are final: Stopped when a stop was
   * asked for and not everything succeeded, else Error if any failed, Stopped if any stopped,
   * Success otherwise. The row is locked, so two tasks finishing together write it once, with the
   * final event (if any) in the same transaction. Returns the final status when this call set it.
   */
  async refreshExecution(executionId: bigint): Promise<ExecutionStatus | undefined> {
    return this.db.$transaction(async (tx) => {
      const [execution] = await tx.$queryRaw<{ id: bigint; vendor_type: string; vendor_id: bigint; trigger: string; end_time: Date | null; stop_requested_at: Date | null }[]>`
        SELECT id, vendor_type, vendor_id, trigger, end_time, stop_requested_at FROM executions WHERE id = ${executionId} FOR UPDATE`;
      if (!execution || execution.end_time) return undefined;
      const tasks = await tx.task.findMany({ where: { executionId }, select: { status: true } });
      if (!tasks.every((t) => FINAL.has(t.status))) return undefined;
      const failed = tasks.filter((t) => t.status === "Error").length;
      const stopped = tasks.filter((t) => t.status === "Stopped").length;
      const allSucceeded = failed === 0 && stopped === 0;
      const stopAsked = execution.stop_requested_at !== null && (!allSucceeded || tasks.length === 0);
      const status: ExecutionStatus = stopAsked ? "Stopped" : failed ? "Error" : stopped ? "Stopped" : "Success";
      const message = failed ? `${failed} of ${tasks.length} tasks failed` : status === "Stopped" ? `stopped (${stopped} of ${tasks.length} tasks)` : "";
      await tx.execution.update({ where: { id: executionId }, data: { status, statusMessage: message, endTime: new Date() } });
      const event = this.finalEvent?.({ id: execution.id, vendorType: execution.vendor_type, vendorId: execution.vendor_id, status, trigger: execution.trigger });
      if (event) await tx.outboxEvent.create({ data: { type: event.type, payload: event.payload } });
      return status;
    });
  }
}
