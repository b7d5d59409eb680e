/**
 * For faults that hit every request (a stalled database, Redis down): log the first occurrence,
 * then at most once per interval, saying how many were held back in between.
 */
export class LogThrottle {
  #last = Number.NEGATIVE_INFINITY;
  #heldBack = 0;

  constructor(private readonly intervalMs = 60_000) {}

  /** Runs `log` (with the number held back since the last run) unless one ran within the interval. */
  run(log: (heldBack: number) => void): void {
    const now = performance.now();
    if (now - this.#last < this.intervalMs) {
      this.#heldBack++;
      return;
    }
    this.#last = now;
    const heldBack = this.#heldBack;
    this.#heldBack = 0;
    log(heldBack);
  }
}
