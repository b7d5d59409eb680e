// Resident memory of a registry process (and anything in its process group: worker processes of a
// clustered server count too), sampled from /proc while the workloads run.
import { readFileSync } from "node:fs";
import { membersOfGroups } from "../support/processes.js";

function statusField(pid: number, field: string): number | undefined {
  try {
    const m = readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Sum of VmRSS over the process and its group, in bytes; undefined when the process is gone. */
export function groupRss(pid: number, members: number[]): number | undefined {
  const own = statusField(pid, "VmRSS");
  if (own === undefined) return undefined;
  let total = own;
  for (const m of members) if (m !== pid) total += statusField(m, "VmRSS") ?? 0;
  return total;
}

/** The kernel's own high-water mark of the leader process (VmHWM), in bytes. */
export function highWaterMark(pid: number): number | undefined {
  return statusField(pid, "VmHWM");
}

/**
 * Samples every `intervalMs`; `peak` is the largest sum seen since the last `reset()`. The group's
 * membership is re-read every few seconds (reading all of /proc on every sample would cost more
 * CPU than the thing measured).
 */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  private members: number[] = [];
  private membersAt = 0;
  peak = 0;
  last = 0;

  constructor(
    readonly pid: number,
    private readonly intervalMs = 100,
  ) {}

  sample(): number {
    const now = Date.now();
    if (now - this.membersAt > 3_000) {
      this.members = membersOfGroups([this.pid]);
      this.membersAt = now;
    }
    const rss = groupRss(this.pid, this.members) ?? 0;
    this.last = rss;
    if (rss > this.peak) this.peak = rss;
    return rss;
  }

  start(): this {
    this.sample();
    this.timer ??= setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  /** Starts a new peak from the current value. */
  reset(): void {
    this.peak = 0;
    this.sample();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
