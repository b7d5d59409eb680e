/**
 * Offset pages of big lists (Harbor's `page`/`page_size`) that cost at most half the list.
 *
 * A page is `ORDER BY <order> LIMIT take OFFSET skip` over an index that mirrors the order: the
 * offset costs one index entry per row skipped. Every order here has an exact reverse (ascending
 * is NULLS FIRST, descending NULLS LAST, the tie-breaking id last in the first key's direction),
 * so with the list's total known, a page past the middle is read from the far end — the same
 * rows, walked backwards from the last — and a deep page costs no more than the middle one.
 */
import { join, raw, type Sql } from "./sql-database.js";

/** A list's order: fields in priority order (an id breaks ties, so pages are stable). */
export type ListOrder<F extends string> = readonly { field: F; direction: "asc" | "desc" }[];

/**
 * `ORDER BY` items for `order` over whitelisted `columns`, then `tiebreak` (the id) in the first
 * item's direction; `reversed` gives the exact reverse of that order (for {@link pageWindow}).
 */
export function orderItems<F extends string>(order: ListOrder<F>, columns: Readonly<Record<F, string>>, tiebreak: string, reversed = false): Sql {
  const dir = (d: "asc" | "desc") => ((d === "desc") !== reversed ? "DESC NULLS LAST" : "ASC NULLS FIRST");
  const items = order.map((o) => raw(`${columns[o.field]} ${dir(o.direction)}`));
  return join([...items, raw(`${tiebreak} ${dir(order[0]?.direction ?? "asc")}`)], ", ");
}

/** How to read rows `skip … skip + take - 1` of a list of `total`: in its order, or its reverse. */
export interface PageWindow {
  /** Read in the reverse order (then put back in the list's order). */
  reversed: boolean;
  offset: number;
  /** 0: the page is past the end. */
  limit: number;
}

/** The cheaper way to read a page: from whichever end of the list is nearer. */
export function pageWindow(total: number, skip: number, take: number): PageWindow {
  const limit = Math.max(0, Math.min(take, total - skip));
  if (limit === 0 || skip + limit / 2 <= total / 2) return { reversed: false, offset: skip, limit };
  return { reversed: true, offset: total - skip - limit, limit };
}
