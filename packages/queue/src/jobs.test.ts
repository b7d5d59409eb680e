import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JOB_QUEUES, QUEUE_NAMES, jobOptions, jobsOf } from "./index.js";

describe("@berth/queue", () => {
  it("puts every job on a known queue and every queue has jobs", () => {
    for (const queue of Object.values(JOB_QUEUES)) assert.ok(QUEUE_NAMES.includes(queue));
    for (const queue of QUEUE_NAMES) assert.ok(jobsOf(queue).length > 0, queue);
  });
  it("merges central defaults, per-job overrides and call options", () => {
    assert.equal(jobOptions("event.fanout").attempts, 5);
    assert.deepEqual(jobOptions("webhook.deliver").backoff, { type: "exponential", delay: 2_000 });
    assert.equal(jobOptions("webhook.deliver", { attempts: 2 }).attempts, 2);
  });
});
