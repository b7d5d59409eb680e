import type { Request } from "express";
import { z } from "zod";
import { InvalidInputError } from "../errors.js";

/** Parses `input` (a query, path parameter or body) with `schema`; every zod issue goes into one {@link InvalidInputError}. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new InvalidInputError(parsed.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; "));
}

/** Path parameter `name` parsed with `schema`; a refusal names the parameter. */
export function parseParam<S extends z.ZodType>(req: Request, name: string, schema: S): z.output<S> {
  return parseInput(z.object({ [name]: schema }), req.params)[name] as z.output<S>;
}

/** A database id in a path (`int4`): 1 … 2³¹−1. */
export const idParam = z
  .string()
  .regex(/^[0-9]{1,10}$/, "must be a positive integer")
  .transform(Number)
  .pipe(z.number().int().min(1, "must be a positive integer").max(2_147_483_647, "is too large"));

/** A database id in a path (`int8`): 1 … 2⁶³−1, as a bigint. */
export const bigIdParam = z
  .string()
  .regex(/^[0-9]{1,19}$/, "must be a positive integer")
  .transform(BigInt)
  .refine((v) => v >= 1n && v <= 9_223_372_036_854_775_807n, "must be a positive integer below 2^63");

/** A database id in a JSON body (`int4`). */
export const idValue = z.number().int().min(1, "must be a positive integer").max(2_147_483_647, "is too large");
