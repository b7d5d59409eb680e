/**
 * Shared plumbing of {@link FileWriter} implementations: serialises writes, tracks the writer's
 * state and adapts it to Node streams. Drivers implement the four protected hooks.
 */
import { Writable } from "node:stream";
import type { FileWriter } from "./driver.js";
import { WriterClosedError } from "./errors.js";

type WriterState = "open" | "committed" | "cancelled" | "closed";

/** Base class of driver writers; subclasses implement `doWrite`, `doCommit`, `doCancel`, `doClose`. */
export abstract class BaseFileWriter implements FileWriter {
  #state: WriterState = "open";
  #queue: Promise<void> = Promise.resolve();
  #failure: unknown;
  /** Bytes in the file so far; subclasses set the starting value and add in `doWrite`. */
  protected bytes = 0;

  constructor(readonly path: string) {}

  get size(): number {
    return this.bytes;
  }

  /** Append one chunk to the backend; called one at a time. */
  protected abstract doWrite(chunk: Uint8Array): Promise<void>;
  protected abstract doCommit(): Promise<void>;
  protected abstract doCancel(): Promise<void>;
  protected abstract doClose(): Promise<void>;

  write(chunk: Uint8Array): Promise<void> {
    this.#assertOpen();
    return this.#enqueue(() => (chunk.byteLength === 0 ? Promise.resolve() : this.doWrite(chunk)));
  }

  async writeFrom(source: AsyncIterable<Uint8Array>): Promise<number> {
    let taken = 0;
    for await (const chunk of source) {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      await this.write(bytes);
      taken += bytes.byteLength;
    }
    return taken;
  }

  writable(): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        this.write(chunk).then(() => callback(), callback);
      },
    });
  }

  commit(): Promise<void> {
    return this.#end("committed", () => this.doCommit());
  }

  cancel(): Promise<void> {
    return this.#end("cancelled", () => this.doCancel());
  }

  close(): Promise<void> {
    return this.#end("closed", () => this.doClose());
  }

  #assertOpen(): void {
    if (this.#state !== "open") throw new WriterClosedError(this.path, this.#state);
  }

  #enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(async () => {
      if (this.#failure !== undefined) throw this.#failure;
      try {
        await step();
      } catch (err) {
        this.#failure = err;
        throw err;
      }
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #end(state: WriterState, step: () => Promise<void>): Promise<void> {
    this.#assertOpen();
    this.#state = state;
    await this.#queue;
    if (this.#failure !== undefined && state === "committed") {
      await this.doCancel().catch(() => undefined);
      throw this.#failure;
    }
    await step();
  }
}
