/**
 * The vocabulary of list queries, shared by stores and routes: a page, a sort order, a text
 * match. Routes build them from Harbor's query parameters (`http/paging.ts`, `http/sorting.ts`,
 * `http/harbor-query.ts`); stores turn them into their database's terms with the helpers here.
 */
import type { ListOrder } from "@berth/registry-store";

/** Which slice of a list: `skip` items, then `take`. */
export interface Paging {
  page: number;
  pageSize: number;
  skip: number;
  take: number;
}

/** A list's order: fields (the store's own names) in priority order (registry-store's type, shared). */
export type { ListOrder };

/** How a text field must match: exactly, containing a substring, or one of several values. */
export type TextMatch = { exact: string } | { contains: string } | { anyOf: string[] };

/** One page of a list and the size of the whole list. */
export interface ListPage<T> {
  total: number;
  items: T[];
}

/** A Prisma string filter for `match`. */
export function textFilter(match: TextMatch): { equals: string } | { contains: string } | { in: string[] } {
  if ("exact" in match) return { equals: match.exact };
  if ("contains" in match) return { contains: match.contains };
  return { in: match.anyOf };
}

/** A Prisma `orderBy` for `sort`, always ending with `tiebreak` so pages are stable. */
export function orderBy<F extends string>(sort: ListOrder<F> | undefined, tiebreak: Partial<Record<string, "asc" | "desc">>): Record<string, "asc" | "desc">[] {
  return [...(sort ?? []).map((s) => ({ [s.field]: s.direction })), tiebreak as Record<string, "asc" | "desc">];
}
