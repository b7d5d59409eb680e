/**
 * The one cron validator for every schedule (GC today; replication, retention and scan-all
 * later): Harbor's six-field form, `second minute hour day-of-month month day-of-week`, checked
 * with `cron-parser` at the version BullMQ's job schedulers evaluate patterns with — so an
 * expression accepted here is one BullMQ can schedule, and its next run is what BullMQ computes.
 *
 * This module loads no BullMQ: core imports it as `@berth/queue/cron`.
 */
import cronParser from "cron-parser";

/** Longest expression accepted (Harbor's columns hold 64; generous for lists and ranges). */
export const MAX_CRON_LENGTH = 128;

/** A cron expression that cannot be scheduled; `reason` says why in words a user can act on. */
export class InvalidCronError extends Error {
  override name = "InvalidCronError";
  constructor(
    readonly expression: string,
    readonly reason: string,
  ) {
    super(`invalid cron "${expression.length > 40 ? `${expression.slice(0, 40)}…` : expression}": ${reason}`);
  }
}

/**
 * Checks `expression` and returns it normalised (fields separated by single spaces); throws
 * {@link InvalidCronError} for anything but six valid fields with a next run.
 */
export function validateCron(expression: string, options: { tz?: string } = {}): string {
  if (expression.length > MAX_CRON_LENGTH) throw new InvalidCronError(expression, `longer than ${MAX_CRON_LENGTH} characters`);
  const fields = expression.trim().split(/\s+/).filter(Boolean);
  if (fields.length !== 6) {
    throw new InvalidCronError(expression, `expected 6 fields (second minute hour day-of-month month day-of-week), got ${fields.length}`);
  }
  const normalised = fields.join(" ");
  try {
    // next() also refuses expressions whose fields never match together (e.g. 31 April).
    cronParser.parseExpression(normalised, { tz: options.tz ?? "UTC" }).next();
  } catch (err) {
    throw new InvalidCronError(expression, (err as Error).message);
  }
  return normalised;
}

/** When `expression` (already valid) next fires after `from`, in `tz` (default UTC). */
export function nextCronRun(expression: string, from: Date = new Date(), tz = "UTC"): Date {
  return cronParser.parseExpression(validateCron(expression, { tz }), { currentDate: from, tz }).next().toDate();
}
