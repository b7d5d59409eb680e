import { z } from "zod";
import { InvalidInputError } from "../errors.js";
import type { ListOrder } from "../listing.js";

/** The `sort` query parameter of a list (validated by {@link parseSort}). */
export const sortQuery = z.string().max(256).optional();

/**
 * Harbor's `sort=field1,-field2` (`-` for descending): each key must be one of `fields` (Harbor's
 * names, mapped to the store's); an unknown or repeated key is a 400 naming the accepted ones.
 */
export function parseSort<F extends string>(raw: string | undefined, fields: Readonly<Record<string, F>>): ListOrder<F> {
  if (raw === undefined || raw.trim() === "") return [];
  const seen = new Set<string>();
  return raw.split(",").map((part) => {
    const key = part.trim();
    const name = key.startsWith("-") ? key.slice(1) : key;
    const field = Object.hasOwn(fields, name) ? fields[name] : undefined;
    if (field === undefined) {
      const accepted = Object.keys(fields);
      throw new InvalidInputError(`unknown sort key "${name.slice(0, 64)}"; ${accepted.length ? `sort by ${accepted.join(", ")} (prefix - for descending)` : "this list cannot be sorted"}`);
    }
    if (seen.has(name)) throw new InvalidInputError(`sort key "${name}" given twice`);
    seen.add(name);
    return { field, direction: key.startsWith("-") ? ("desc" as const) : ("asc" as const) };
  });
}
