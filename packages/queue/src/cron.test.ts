import assert from "node:assert/strict";
import { readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { InvalidCronError, nextCronRun, validateCron } from "./cron.js";

describe("cron validator", () => {
  it("accepts Harbor's six-field expressions and normalises spacing", () => {
    for (const e of ["0 0 * * * *", "0 0 0 * * *", "0 0 0 * * 0", "0 */15 * * * *", "30 5 4 1,15 * MON-FRI", "0 0 0 L * *", "0 0 0 ? * *"]) {
      assert.equal(validateCron(e), e);
    }
    assert.equal(validateCron("  0  0 0 * *   * "), "0 0 0 * * *");
  });

  it("refuses the wrong field count, nonsense values and days that never come, with the reason", () => {
    const cases: [string, RegExp][] = [
      ["* * * * *", /expected 6 fields/],
      ["0 0 0 * * * *", /expected 6 fields/],
      ["", /expected 6 fields/],
      ["61 * * * * *", /expected range 0-59/],
      ["0 0 25 * * *", /expected range 0-23/],
      ["0 0 0 * * 8", /expected range 0-7/],
      ["0 0 0 32 * *", /expected range 1-31/],
      ["0 0 0 * 13 *", /expected range 1-12/],
      ["a b c d e f", /Invalid characters/],
      ["0 0 0 30 2 *", /day of month/],
      ["*/0 * * * * *", /every 0/],
      ["0 0 0 * * * ".repeat(20), /longer than 128/],
    ];
    for (const [expression, reason] of cases) {
      assert.throws(() => validateCron(expression), (err: unknown) => err instanceof InvalidCronError && reason.test(err.message), expression);
    }
  });

  it("computes the next run as the scheduler will", () => {
    const from = new Date("2026-01-01T10:20:30Z");
    assert.equal(nextCronRun("0 0 * * * *", from).toISOString(), "2026-01-01T11:00:00.000Z");
    assert.equal(nextCronRun("0 0 0 * * 0", from).toISOString(), "2026-01-04T00:00:00.000Z");
  });

  it("uses the cron-parser BullMQ schedules with", () => {
    const installed = (name: string, from: string) => {
      let dir = from;
      for (;;) {
        const file = path.join(dir, "node_modules", name, "package.json");
        try {
          const real = realpathSync(file);
          return { dir: path.dirname(real), ...(JSON.parse(readFileSync(real, "utf8")) as { version: string; dependencies?: Record<string, string> }) };
        } catch {
          assert.notEqual(path.dirname(dir), dir, `${name} not found from ${from}`);
          dir = path.dirname(dir);
        }
      }
    };
    const here = path.resolve(import.meta.dirname, "..");
    const bullmq = installed("bullmq", here);
    assert.equal(installed("cron-parser", here).version, bullmq.dependencies?.["cron-parser"], "pin cron-parser to the version bullmq depends on");
    assert.equal(installed("cron-parser", here).dir, installed("cron-parser", bullmq.dir).dir, "one cron-parser for the validator and BullMQ");
  });
});
