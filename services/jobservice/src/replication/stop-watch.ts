/**
 * Stop requests reach running tasks through the database (`executions.stop_requested_at`, set by
 * core's stop), so they work whichever jobservice runs the task: each process polls, once a
 * second, the executions it has tasks of, and aborts their signals. In-flight streams end within
 * about a second of the request.
 */
import type { ExecutionStore } from "@berth/executions";

/** Why a copy was aborted: someone stopped its execution. */
export class ExecutionStoppedError extends Error {
  override name = "ExecutionStoppedError";
  constructor(readonly executionId: bigint) {
    super(`execution ${executionId} was stopped`);
  }
}

export class StopWatch {
  readonly #running = new Map<bigint, Set<AbortController>>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly executions: ExecutionStore,
    private readonly pollMs = 1_000,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  /** A signal aborted when execution `id` is asked to stop; call `done` when the work ends. */
  watch(executionId: bigint): { signal: AbortSignal; done: () => void } {
    const controller = new AbortController();
    let set = this.#running.get(executionId);
    if (!set) this.#running.set(executionId, (set = new Set()));
    set.add(controller);
    this.#timer ??= setInterval(() => void this.#poll(), this.pollMs);
    return {
      signal: controller.signal,
      done: () => {
        set.delete(controller);
        if (set.size === 0) this.#running.delete(executionId);
        if (this.#running.size === 0 && this.#timer) {
          clearInterval(this.#timer);
          this.#timer = undefined;
        }
      },
    };
  }

  async #poll(): Promise<void> {
    try {
      for (const id of await this.executions.stopRequested([...this.#running.keys()])) {
        for (const c of this.#running.get(id) ?? []) c.abort(new ExecutionStoppedError(id));
      }
    } catch (err) {
      this.onError(err);
    }
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
