import Transport from "winston-transport";
import { MESSAGE } from "triple-beam";

export interface CollectorTransportOptions extends Transport.TransportStreamOptions {
  url: string;
  bufferLimit?: number | undefined;
  /** Milliseconds between batches. */
  intervalMs?: number;
  /** Largest batch sent in one request. */
  batchSize?: number;
}

/**
 * Sends log entries to the log-collector in HTTP batches (`POST <url>/ingest`, a JSON array).
 * Never blocks or fails the caller: while the collector is unreachable entries wait in a bounded
 * buffer (oldest dropped first, and the number dropped is reported once it is back) and are retried
 * with backoff. stdout has its own transport, so no line is lost there.
 */
export class CollectorTransport extends Transport {
  private readonly url: string;
  private readonly bufferLimit: number;
  private readonly batchSize: number;
  private readonly intervalMs: number;
  private buffer: Record<string, unknown>[] = [];
  private dropped = 0;
  /** Entries ever cut from the front of the buffer by the bound (to reconcile a batch in flight). */
  private trimmed = 0;
  private failures = 0;
  /** Batch size in use: halved while the collector answers 413, back to `batchSize` after a success. */
  private sendSize: number;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;

  constructor(options: CollectorTransportOptions) {
    super(options);
    this.url = `${options.url.replace(/\/+$/, "")}/ingest`;
    this.bufferLimit = options.bufferLimit ?? 10_000;
    this.batchSize = options.batchSize ?? 500;
    this.intervalMs = options.intervalMs ?? 250;
    this.sendSize = this.batchSize;
  }

  override log(info: Record<string | symbol, unknown>, callback: () => void): void {
    const line = info[MESSAGE];
    let entry: Record<string, unknown>;
    try {
      entry = typeof line === "string" ? (JSON.parse(line) as Record<string, unknown>) : { ...info };
    } catch {
      entry = { message: String(line) };
    }
    this.buffer.push(entry);
    if (this.buffer.length > this.bufferLimit) {
      const excess = this.buffer.length - this.bufferLimit;
      this.buffer.splice(0, excess);
      this.dropped += excess;
      this.trimmed += excess;
    }
    this.schedule(this.intervalMs);
    callback();
  }

  private schedule(delay: number): void {
    if (this.timer || this.sending) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sending = this.send().finally(() => {
        this.sending = undefined;
        if (this.buffer.length > 0) {
          // Back off while the collector is failing: 250 ms doubling up to 10 s.
          this.schedule(this.failures ? Math.min(10_000, this.intervalMs * 2 ** this.failures) : 0);
        }
      });
    }, delay);
    this.timer.unref();
  }

  private async send(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.slice(0, this.sendSize);
      const sent = batch.length;
      const droppedNow = this.dropped;
      const trimmedBefore = this.trimmed;
      if (droppedNow > 0) {
        batch.push({
          time: new Date().toISOString(),
          level: "warn",
          service: batch[0]?.["service"],
          module: "logger",
          message: `log-collector was unreachable; ${droppedNow} log entries were dropped from its buffer (they are on stdout)`,
        });
      }
      let status: number;
      try {
        const res = await fetch(this.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(batch),
          signal: AbortSignal.timeout(5_000),
        });
        await res.body?.cancel();
        status = res.status;
      } catch {
        this.failures++;
        return;
      }
      if (status === 413 && sent > 1) {
        // Too large for the collector's body limit: retry the same entries in smaller batches.
        this.sendSize = Math.ceil(sent / 2);
        continue;
      }
      const ok = status >= 200 && status < 300;
      // 5xx, 408 and 429 are worth retrying; any other 4xx refuses this batch for good, and
      // retrying it would block every later entry behind it.
      if (!ok && (status >= 500 || status === 408 || status === 429 || status < 400)) {
        this.failures++;
        return;
      }
      // Entries of this batch that the bound cut from the buffer while it was in flight.
      const gone = Math.min(this.trimmed - trimmedBefore, sent);
      this.buffer.splice(0, sent - gone);
      if (ok) {
        this.dropped -= droppedNow + gone; // those `gone` were delivered after all
        this.sendSize = this.batchSize;
      } else {
        this.dropped += sent - gone;
      }
      this.failures = 0;
    }
  }

  /** Sends what is buffered now (one attempt); used at shutdown. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    await this.sending;
    // the send that just ended may have scheduled a retry; this attempt replaces it
    clearTimeout(this.timer);
    this.timer = undefined;
    this.failures = 0;
    await this.send();
  }

  /** Entries waiting for the collector (for tests and health output). */
  get pending(): number {
    return this.buffer.length;
  }
}
