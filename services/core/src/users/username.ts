import { z } from "zod";

/** Harbor's username rule: 1–255 characters, none of `,"~#$%` (so no user can pose as `robot$…`); no spaces or control characters. */
export const username = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^,"~#$%\s\p{Cc}]+$/u, 'must not contain spaces, control characters or any of , " ~ # $ %');
