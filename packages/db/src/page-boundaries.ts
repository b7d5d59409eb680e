/**
 * Deep offset pages that do not walk: where every `every`-th row of a big list is, kept per list
 * and per state of the list, so that a page starts at the nearest boundary row (a keyset seek,
 * {@link fromBoundary}) and steps over fewer than `every` rows, instead of walking the index up
 * to its offset ({@link pageWindow} halves that walk; this removes it).
 *
 * A list's boundaries hold only while the list is unchanged: the caller names the list's state
 * (its `generation`, e.g. from its count rows, which every insert and delete appends to) and
 * boundaries of another state are never used. Building them reads the whole list once, so they
 * are built only when a state has already cost that much in walks (deep pages read in it
 * walked as many entries as the list holds; a build that fails, e.g. past the statement
 * timeout, leaves the state walked). The build runs beside the reads, which walk until it is
 * done — none waits for it (a read that waited for a build of 200,000 rows was the slowest of
 * its list by ~100 ms). It reads the list in steps of `step` boundaries, each a short statement
 * from the last boundary found, and pauses as long as each step took: one statement over
 * 200,000 rows held a core for ~180 ms and slowed the other lists' reads beside it. As the steps
 * read the list at different moments, the state is read again after the last: boundaries of a
 * list that changed meanwhile are dropped. A list that changes between deep reads is walked
 * as before, at no more than the walks it does anyway; one read over and over is walked until
 * then and afterwards costs about what its first page does. Bounded: at most `lists` lists are
 * kept, least recently used dropped first.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { counter } from "@berth/metrics";
import { join, raw, sql, type Sql } from "./sql-database.js";
import type { ListOrder } from "./list-page.js";

const deepPages = counter({
  name: "berth_list_deep_pages_total",
  help: "Deep pages of big lists, by how they were read: walked (up to the offset, from the nearer end), seeked (started at a boundary); built counts the builds of a list's page boundaries in its state, started by a read that walked",
  labelNames: ["read"],
});

export interface PageBoundariesOptions {
  /** A boundary every this many rows (default 1000): the most a page steps over. */
  every?: number;
  /** Most lists kept (default 256). */
  lists?: number;
  /** Boundaries a build reads per statement (default 10). */
  step?: number;
}

/**
 * Rows 0, every, 2·every, … of a list in its order, at most `count` of them: from boundary row
 * `from` (itself first) or, without it, from the list's first row. {@link boundaryIds} writes it.
 */
export type BoundaryStep<Id> = (every: number, count: number, from: Id | undefined) => Promise<readonly Id[]>;

/** Where a page starts: boundary row `id`, then `skip` rows stepped over. */
export interface PageStart<Id> {
  id: Id;
  skip: number;
}

interface Entry<Id> {
  generation: string;
  /** Index entries the deep reads of this state have walked. */
  walked: number;
  ids?: readonly Id[];
  building?: Promise<void> | undefined;
  /** The build failed, or the list changed while it was read: this state is walked. */
  failed?: boolean;
}

export class PageBoundaries<Id> {
  readonly every: number;
  readonly #max: number;
  readonly #step: number;
  readonly #lists = new Map<string, Entry<Id>>();

  constructor(options: PageBoundariesOptions = {}) {
    this.every = options.every ?? 1000;
    this.#max = options.lists ?? 256;
    this.#step = Math.max(1, options.step ?? 10);
  }

  /**
   * Where rows `skip…` of `list` in state `state` start, or `undefined`: walk as before
   * (`walk`, the entries the caller's walk would step over, is under `every`, or the state's
   * walks have not yet cost a build). `build` reads the boundaries of the list (`total` rows) a
   * step at a time; they are built once per list and state. `state()` is read only for a deep
   * page (it may cost a query), and once more after a build.
   */
  async start(list: string, state: () => Promise<string>, page: { skip: number; walk: number; total: number }, build: BoundaryStep<Id>): Promise<PageStart<Id> | undefined> {
    if (page.walk < this.every) return undefined;
    const generation = await state();
    const entry = this.#lists.get(list);
    this.#lists.delete(list);
    if (!entry || entry.generation !== generation) {
      this.#keep(list, { generation, walked: page.walk });
      deepPages.inc({ read: "walked" });
      return undefined;
    }
    this.#keep(list, entry);
    if (!entry.ids) {
      // The build runs beside the reads, which walk until it is done: no read waits for it.
      if (!entry.failed && !entry.building && entry.walked >= page.total) {
        deepPages.inc({ read: "built" });
        entry.building = (async () => {
          try {
            const ids = await this.#build(build);
            if ((await state()) === generation) entry.ids = ids;
            else entry.failed = true;
          } catch {
            // Too big to read within the statement timeout, or the database failed: this state is
            // walked, as before (a database that fails fails the walk too), and not built again.
            entry.failed = true;
          } finally {
            entry.building = undefined;
          }
        })();
      } else {
        entry.walked += page.walk;
      }
      deepPages.inc({ read: "walked" });
      return undefined;
    }
    const i = Math.floor(page.skip / this.every);
    const id = entry.ids[i];
    deepPages.inc({ read: id === undefined ? "walked" : "seeked" });
    return id === undefined ? undefined : { id, skip: page.skip - i * this.every };
  }

  /** Every boundary of the list, `#step` at a time, each step followed by a pause as long as it took. */
  async #build(build: BoundaryStep<Id>): Promise<Id[]> {
    const ids: Id[] = [];
    for (;;) {
      const from = ids.at(-1);
      const count = from === undefined ? this.#step : this.#step + 1;
      const started = performance.now();
      const found = await build(this.every, count, from);
      ids.push(...(from === undefined ? found : found.slice(1)));
      if (found.length < count) return ids;
      await sleep(performance.now() - started);
    }
  }

  #keep(list: string, entry: Entry<Id>): void {
    this.#lists.set(list, entry);
    if (this.#lists.size > this.#max) this.#lists.delete(this.#lists.keys().next().value!);
  }
}

/** Whether `order` can start at a boundary: every key in one direction (a row comparison). */
export function seekable<F extends string>(order: ListOrder<F>): boolean {
  return order.every((o) => o.direction === order[0]!.direction);
}

/**
 * `(keys…, tiebreak) >= (the boundary row's)` — `<=` for a descending order — for a
 * {@link seekable} order over `columns` of `table` aliased `alias` (the columns are written with
 * that alias, e.g. `r.created_at`), the tie-breaking id last as {@link orderItems} puts it. The
 * boundary row's keys are scalar subqueries by primary key, so the comparison is an index
 * condition even in a prepared statement's generic plan.
 */
export function fromBoundary<F extends string>(order: ListOrder<F>, columns: Readonly<Record<F, string>>, table: string, alias: string, tiebreak: string, id: number | bigint): Sql {
  const keys = order.map((o) => columns[o.field]);
  const boundary = keys.map((k) => sql`(SELECT ${raw(k)} FROM ${raw(`${table} ${alias}`)} WHERE ${raw(tiebreak)} = ${id})`);
  const op = order[0]?.direction === "desc" ? "<=" : ">=";
  return sql`(${join([...keys.map((k) => raw(k)), raw(tiebreak)], ", ")}) ${raw(op)} (${join([...boundary, sql`${id}`], ", ")})`;
}

/**
 * The ids of rows 0, every, 2·every, … — `count` of them at most — of `SELECT <tiebreak> FROM
 * <from> <where> ORDER BY <orderBy>` (a {@link BoundaryStep}; `from` starts at the step's
 * boundary row): one pass over as much of the list's index as the step covers.
 */
export function boundaryIds(from: Sql, orderBy: Sql, tiebreak: string, every: number, count: number): Sql {
  return sql`SELECT id FROM (SELECT ${raw(tiebreak)} AS id, row_number() OVER (ORDER BY ${orderBy}) AS n ${from} ORDER BY ${orderBy} LIMIT ${(count - 1) * every + 1}) b
    WHERE (n - 1) % ${every} = 0 ORDER BY n`;
}
