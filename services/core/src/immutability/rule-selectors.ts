/**
 * The selectors of Harbor's retention and immutability rules as core's API takes them:
 * `tag_selectors: [{kind, decoration, pattern, extras?}]` and
 * `scope_selectors: {repository: [{kind, decoration, pattern}]}`, validated through the one
 * selector module (`@berth/selectors`), every problem reported at once.
 */
import { z } from "zod";
import { harborSelectorProblems, type HarborSelector } from "@berth/selectors";

const selector = z.object({
  kind: z.string().max(32).default("doublestar"),
  decoration: z.string().max(32),
  pattern: z.string().max(1024),
  extras: z.string().max(1024).optional(),
});

/** The zod shape of a rule's selectors (structure only; {@link selectorProblems} checks the patterns). */
export const ruleSelectors = {
  tag_selectors: z.array(selector).max(4),
  scope_selectors: z.object({ repository: z.array(selector).max(4) }),
};

/** Every problem of a rule's selectors, prefixed by `at`. */
export function selectorProblems(rule: { tag_selectors: unknown; scope_selectors: { repository: unknown } }, at: string): string[] {
  return [
    ...harborSelectorProblems(rule.tag_selectors, `${at}tag_selectors`, "tag"),
    ...harborSelectorProblems(rule.scope_selectors.repository, `${at}scope_selectors.repository`, "repository"),
  ];
}

/** Selectors as stored (`kind` always doublestar, `extras` only when given). */
export function storedSelectors(list: readonly { kind: string; decoration: string; pattern: string; extras?: string | undefined }[]): HarborSelector[] {
  return list.map((s) => ({ kind: "doublestar", decoration: s.decoration, pattern: s.pattern, ...(s.extras !== undefined && s.extras !== "" && { extras: s.extras }) }));
}
