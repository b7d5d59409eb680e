/**
 * Which artifacts of one repository a policy retains (Harbor's algorithm `or`): each enabled rule
 * whose scope selects the repository takes the artifacts its tag selector selects (an artifact is
 * selected when one of its tags matches, or — when the selector's extras say `untagged` — when it
 * has none), and its template keeps some of them; an artifact is retained when any rule keeps it,
 * or when one of its tags is immutable. Every other artifact of the repository goes. Pure:
 * callers pass the time and the candidates.
 */
import { compileHarborRule, selectorExtras } from "@berth/selectors";
import type { RetentionRule } from "./rules.js";

/** An artifact of the repository, as the evaluation sees it. */
export interface RetentionCandidate {
  digest: string;
  tags: readonly string[];
  pushedAt: Date;
  pulledAt: Date | null;
  /** One of its tags is protected by an immutability rule: always retained. */
  immutable?: boolean;
}

/** What happens to one candidate, and why. */
export interface RetentionDecision {
  candidate: RetentionCandidate;
  retained: boolean;
  /** The rules (by id) that kept it, or `immutable`. */
  reasons: string[];
}

const DAY_MS = 86_400_000;

/** Whether any enabled rule's scope selects `repository` (its name without the project). */
export function ruleAppliesTo(rule: RetentionRule, repository: string): boolean {
  return !rule.disabled && compileHarborRule({ tagSelectors: rule.tag_selectors, repositorySelectors: rule.scope_selectors.repository }).repository(repository);
}

/** The decisions for every candidate of `repository` (name without the project), in the candidates' order. */
export function evaluateRetention(rules: readonly RetentionRule[], repository: string, candidates: readonly RetentionCandidate[], now: Date): RetentionDecision[] {
  const reasons = new Map<RetentionCandidate, string[]>(candidates.map((c) => [c, c.immutable ? ["immutable"] : []]));
  for (const rule of rules) {
    if (!ruleAppliesTo(rule, repository)) continue;
    const tagOf = compileHarborRule({ tagSelectors: rule.tag_selectors, repositorySelectors: [] }).tag;
    const untagged = selectorExtras(rule.tag_selectors[0])["untagged"] === true;
    const selected = candidates.filter((c) => (c.tags.length === 0 ? untagged : c.tags.some(tagOf)));
    for (const kept of keep(rule, selected, now)) reasons.get(kept)!.push(`rule ${rule.id} (${rule.template})`);
  }
  return candidates.map((candidate) => ({ candidate, retained: reasons.get(candidate)!.length > 0, reasons: reasons.get(candidate)! }));
}

/** The selected candidates a rule's template keeps. */
function keep(rule: RetentionRule, selected: RetentionCandidate[], now: Date): RetentionCandidate[] {
  const n = rule.params[rule.template] ?? 0;
  const byDesc = (time: (c: RetentionCandidate) => number) => [...selected].sort((a, b) => time(b) - time(a) || a.digest.localeCompare(b.digest));
  switch (rule.template) {
    case "always":
      return selected;
    case "latestPushedK":
      return byDesc((c) => c.pushedAt.getTime()).slice(0, n);
    case "latestPulledN":
      // Never pulled counts as pulled longest ago; only pulled artifacts rank.
      return byDesc((c) => c.pulledAt?.getTime() ?? -Infinity).filter((c) => c.pulledAt !== null).slice(0, n);
    case "nDaysSinceLastPush":
      return selected.filter((c) => c.pushedAt.getTime() >= now.getTime() - n * DAY_MS);
    case "nDaysSinceLastPull":
      return selected.filter((c) => c.pulledAt !== null && c.pulledAt.getTime() >= now.getTime() - n * DAY_MS);
  }
}
