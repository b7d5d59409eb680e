import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Folder } from "./folder.js";

/** A fold that counts its runs and how many overlapped, failing while `failing` is set. */
function counting() {
  const state = { runs: 0, running: 0, overlapped: 0, failing: false };
  const fold = async () => {
    state.runs++;
    if (++state.running > 1) state.overlapped++;
    await sleep(5);
    state.running--;
    if (state.failing) throw new Error("deadlock detected");
  };
  return { state, fold };
}

/** Waits until `done()` holds (a loaded machine runs timers late), failing after 5 s. */
async function until(done: () => boolean): Promise<void> {
  for (const start = Date.now(); !done(); await sleep(5)) assert.ok(Date.now() - start < 5_000, "timed out");
}

test("a burst of writes costs one fold, run within the interval", async () => {
  const { state, fold } = counting();
  const folder = new Folder({ fold, intervalMs: 20 });
  for (let i = 0; i < 50; i++) folder.touched();
  assert.equal(state.runs, 0, "not on the write's path");
  await until(() => state.runs === 1 && state.running === 0);
  await sleep(50);
  assert.equal(state.runs, 1);
  await folder.close();
});

test("a failed fold is told to onError and the next write folds again; folds never overlap", async () => {
  const { state, fold } = counting();
  const errors: unknown[] = [];
  const folder = new Folder({ fold, intervalMs: 10, onError: (err) => errors.push(err) });
  state.failing = true;
  folder.touched();
  await until(() => errors.length === 1);
  assert.match(String(errors[0]), /deadlock detected/);
  state.failing = false;
  folder.touched();
  await Promise.all([folder.fold(), folder.fold()]);
  await until(() => state.runs === 4 && state.running === 0);
  assert.equal(state.runs, 4, "the failed fold, then the timer's and two asked for");
  assert.equal(errors.length, 1);
  assert.equal(state.overlapped, 0);
  await folder.close();
});

test("close folds what a write left pending, and later writes schedule nothing", async () => {
  const { state, fold } = counting();
  const folder = new Folder({ fold, intervalMs: 60_000 });
  folder.touched();
  await folder.close();
  assert.equal(state.runs, 1);
  folder.touched();
  await sleep(20);
  assert.equal(state.runs, 1);
});
