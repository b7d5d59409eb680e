/** When a process of the stack dies on its own: start it again, later, or give up. */
export interface RestartPolicyOptions {
  /** `false` (`BERTH_RESTART_CHILDREN=0`): any crash stops the stack. */
  enabled: boolean;
  /** Delay before the first restart; doubles with every crash in a row (default 0.5 s). */
  initialDelayMs?: number;
  /** Largest delay (default 30 s). */
  maxDelayMs?: number;
  /** A process that ran this long before it died starts a new series (default 60 s). */
  stableMs?: number;
  /** This many crashes in a row, each within `stableMs` of its start, is a crash loop (default 5). */
  maxCrashes?: number;
}

export type RestartDecision =
  | { restart: true; delayMs: number; crashes: number }
  | { restart: false; crashes: number; reason: "disabled" | "crash-loop" };

/**
 * Restart with backoff, as container restart policies do (Docker's `on-failure`, Kubernetes'
 * CrashLoopBackOff), giving up on a crash loop like systemd's start limit: 0.5 s, 1 s, 2 s, 4 s,
 * then the fifth quick crash in a row stops everything.
 */
export class RestartPolicy {
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly stableMs: number;
  private readonly maxCrashes: number;
  private readonly series = new Map<string, number>();

  constructor(private readonly options: RestartPolicyOptions) {
    this.initialDelayMs = options.initialDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.stableMs = options.stableMs ?? 60_000;
    this.maxCrashes = options.maxCrashes ?? 5;
  }

  get stableSeconds(): number {
    return this.stableMs / 1000;
  }

  /** Records a crash of `name` after it ran `uptimeMs`, and says what to do. */
  onCrash(name: string, uptimeMs: number): RestartDecision {
    const crashes = uptimeMs < this.stableMs ? (this.series.get(name) ?? 0) + 1 : 1;
    this.series.set(name, crashes);
    if (!this.options.enabled) return { restart: false, crashes, reason: "disabled" };
    if (crashes >= this.maxCrashes) return { restart: false, crashes, reason: "crash-loop" };
    return { restart: true, delayMs: Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** (crashes - 1)), crashes };
  }
}
