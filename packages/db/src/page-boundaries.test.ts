import assert from "node:assert/strict";
import { test } from "node:test";
import { metricValue } from "@berth/metrics";
import { fromBoundary, PageBoundaries } from "./page-boundaries.js";

/** A builder over a list of `n` rows whose ids are 100 + position, counting its builds (first steps). */
function builder(n: number) {
  const calls: number[] = [];
  const steps: [number, number, number | undefined][] = [];
  const build = async (every: number, count: number, from: number | undefined) => {
    if (from === undefined) calls.push(every);
    steps.push([every, count, from]);
    const first = from === undefined ? 0 : from - 100;
    return Array.from({ length: Math.min(count, Math.ceil((n - first) / every)) }, (_, i) => 100 + first + i * every);
  };
  return { build, calls, steps };
}

function reads(read: string): Promise<number> {
  return metricValue("berth_list_deep_pages_total", { read });
}

/** A deep read of row `skip` of a list of `total`, walking `walk` entries without boundaries. */
const deep = (skip: number, total: number, walk = skip) => ({ skip, walk, total });

/** A list's state as the stores give it: read on demand. */
const state = (generation: string) => async () => generation;

/** Lets a build that runs beside the reads finish (the builders here answer at once, or after `ms`; a build's steps pause between them). */
const settled = (ms = 20) => new Promise((r) => setTimeout(r, ms));

test("a deep page walks until its state's walks reach the list's size, then starts at the nearest boundary", async () => {
  const pages = new PageBoundaries<number>({ every: 10 });
  const { build, calls } = builder(95);
  const [walked, built, seeked] = [await reads("walked"), await reads("built"), await reads("seeked")];
  assert.equal(await pages.start("p", state("g1"), deep(5, 95), build), undefined, "near an end: no boundary needed");
  assert.equal(await pages.start("p", state("g1"), deep(42, 95, 42), build), undefined, "first deep read of g1: walk");
  assert.equal(await pages.start("p", state("g1"), deep(42, 95, 42), build), undefined, "42 of 95 walked: walk");
  assert.equal(await pages.start("p", state("g1"), deep(42, 95, 42), build), undefined, "84 of 95 walked: walk");
  assert.deepEqual(calls, []);
  assert.equal(await pages.start("p", state("g1"), deep(42, 95, 42), build), undefined, "126 of 95 walked: the build starts beside this read, which walks");
  assert.deepEqual(calls, [10]);
  await settled();
  assert.deepEqual(await pages.start("p", state("g1"), deep(42, 95, 42), build), { id: 140, skip: 2 });
  assert.deepEqual(await pages.start("p", state("g1"), deep(90, 95, 15), build), { id: 190, skip: 0 }, "read from the boundaries, not the far end");
  assert.deepEqual(calls, [10], "built once");
  assert.equal(await pages.start("p", state("g1"), deep(120, 95, 20), build), undefined, "past the built rows: walk");
  assert.deepEqual([await reads("walked"), await reads("built"), await reads("seeked")], [walked + 5, built + 1, seeked + 2]);
});

test("boundaries of another state of the list are never used", async () => {
  const pages = new PageBoundaries<number>({ every: 10 });
  const { build, calls } = builder(50);
  await pages.start("p", state("g1"), deep(30, 50), build);
  await pages.start("p", state("g1"), deep(30, 50), build);
  await pages.start("p", state("g1"), deep(30, 50), build);
  await settled();
  assert.deepEqual(await pages.start("p", state("g1"), deep(20, 50), build), { id: 120, skip: 0 });
  assert.equal(await pages.start("p", state("g2"), deep(20, 50), build), undefined, "changed: walk");
  assert.equal(await pages.start("p", state("g1"), deep(20, 50), build), undefined, "an older state is a change too");
  assert.equal(await pages.start("q", state("g1"), deep(20, 50), build), undefined, "lists are apart");
  assert.equal(calls.length, 1);
});

test("a list's state is read only for a deep page", async () => {
  const pages = new PageBoundaries<number>({ every: 10 });
  const { build } = builder(50);
  let reads = 0;
  const counted = async () => (reads++, "g1");
  assert.equal(await pages.start("p", counted, deep(5, 50), build), undefined);
  assert.equal(reads, 0, "a page near an end does not need the state");
  await pages.start("p", counted, deep(30, 50), build);
  await pages.start("p", counted, deep(30, 50), build);
  await pages.start("p", counted, deep(30, 50), build);
  await settled();
  assert.deepEqual(await pages.start("p", counted, deep(20, 50), build), { id: 120, skip: 0 });
  assert.equal(reads, 5, "four deep reads, and once more after the build");
});

test("a list that changes between deep reads is only walked", async () => {
  const pages = new PageBoundaries<number>({ every: 10 });
  const { build, calls } = builder(1000);
  for (let g = 0; g < 50; g++) for (let i = 0; i < 3; i++) assert.equal(await pages.start("p", state(`g${g}`), deep(300, 1000), build), undefined);
  assert.deepEqual(calls, []);
});

test("reads walk while the build runs beside them, one build per state; a failed build leaves its state walked", async () => {
  const pages = new PageBoundaries<number>({ every: 10 });
  let builds = 0;
  let fail = true;
  const build = async () => {
    builds++;
    await new Promise((r) => setTimeout(r, 10));
    if (fail) throw new Error("canceling statement due to statement timeout");
    return [1, 2, 3];
  };
  await pages.start("p", state("g"), deep(30, 30), build);
  assert.deepEqual(await Promise.all([pages.start("p", state("g"), deep(10, 30), build), pages.start("p", state("g"), deep(25, 30), build)]), [undefined, undefined]);
  assert.equal(builds, 1);
  await settled(40);
  fail = false;
  assert.equal(await pages.start("p", state("g"), deep(10, 30), build), undefined, "not built again in that state");
  assert.equal(builds, 1);
  await pages.start("p", state("g2"), deep(30, 30), build);
  assert.deepEqual(await Promise.all([pages.start("p", state("g2"), deep(10, 30), build), pages.start("p", state("g2"), deep(25, 30), build)]), [undefined, undefined], "no read waits for the build");
  assert.equal(builds, 2);
  await settled(40);
  assert.deepEqual(await Promise.all([pages.start("p", state("g2"), deep(10, 30), build), pages.start("p", state("g2"), deep(25, 30), build)]), [{ id: 2, skip: 0 }, { id: 3, skip: 5 }]);
  assert.equal(builds, 2);
});

test("a build reads the list a step of boundaries at a time, from the last boundary it found, pausing as long as a step took", async () => {
  const pages = new PageBoundaries<number>({ every: 10, step: 3 });
  const { build, steps } = builder(95);
  const at: number[] = [];
  const slow = async (every: number, count: number, from: number | undefined) => {
    at.push(performance.now());
    await new Promise((r) => setTimeout(r, 15));
    return build(every, count, from);
  };
  for (let i = 0; i < 3; i++) await pages.start("p", state("g"), deep(60, 95), slow);
  await settled(200);
  assert.deepEqual(steps, [
    [10, 3, undefined],
    [10, 4, 120],
    [10, 4, 150],
    [10, 4, 180],
  ]);
  for (let i = 1; i < at.length; i++) assert.ok(at[i]! - at[i - 1]! >= 2 * 15 - 3, `step ${i} started ${at[i]! - at[i - 1]!} ms after the one before`);
  for (let row = 0; row < 95; row += 7) assert.deepEqual(await pages.start("p", state("g"), deep(row, 95, 1000), build), { id: 100 + row - (row % 10), skip: row % 10 });
});

test("boundaries of a list that changed while they were read are dropped, and that state is walked", async () => {
  const pages = new PageBoundaries<number>({ every: 10 });
  const { build, calls } = builder(50);
  let generation = "g1";
  const moving = async () => generation;
  await pages.start("p", moving, deep(30, 50), build);
  await pages.start("p", moving, deep(30, 50), build);
  const building = pages.start("p", moving, deep(30, 50), build);
  generation = "g2"; // a row written while the build reads
  await building;
  await settled();
  generation = "g1";
  assert.equal(await pages.start("p", moving, deep(20, 50), build), undefined, "not used in the state it was started in");
  await settled();
  assert.equal(await pages.start("p", moving, deep(20, 50), build), undefined, "nor built again in it");
  assert.equal(calls.length, 1);
});

test("at most `lists` lists are kept, least recently used dropped first", async () => {
  const pages = new PageBoundaries<number>({ every: 10, lists: 2 });
  const { build, calls } = builder(30);
  for (const list of ["a", "b"]) {
    await pages.start(list, state("g"), deep(30, 30), build);
    await pages.start(list, state("g"), deep(10, 30), build);
  }
  await settled();
  await pages.start("a", state("g"), deep(10, 30), build); // a is now the most recent
  await pages.start("c", state("g"), deep(10, 30), build); // drops b
  assert.deepEqual(await pages.start("a", state("g"), deep(10, 30), build), { id: 110, skip: 0 });
  assert.equal(await pages.start("b", state("g"), deep(10, 30), build), undefined);
  assert.equal(calls.length, 2);
});

test("a boundary is a row comparison in the order's direction against the boundary row's keys", () => {
  const columns = { name: 'r.name COLLATE "C"', time: "r.created_at" };
  const asc = fromBoundary([{ field: "name", direction: "asc" }], columns, "repositories", "r", "r.id", 7);
  assert.equal(asc.text, '(r.name COLLATE "C", r.id) >= ((SELECT r.name COLLATE "C" FROM repositories r WHERE r.id = $1), $2)');
  assert.deepEqual(asc.values, [7, 7]);
  const desc = fromBoundary([{ field: "time", direction: "desc" }, { field: "name", direction: "desc" }], columns, "repositories", "r", "r.id", 7);
  assert.match(desc.text, /^\(r\.created_at, r\.name COLLATE "C", r\.id\) <= \(\(SELECT r\.created_at FROM/);
});
