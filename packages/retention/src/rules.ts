/**
 * Harbor's retention rules: templates, their parameters, validation, and the metadata
 * `/retentions/metadatas` serves. A policy holds up to {@link MAX_RETENTION_RULES} rules; each
 * rule selects repositories (scope selector, matched against the name without the project) and
 * tags (tag selector; `extras: {"untagged": true}` includes untagged artifacts), then its
 * template says which of the selected artifacts it retains.
 */
import { harborSelectorProblems, type HarborSelector } from "@berth/selectors";

/** Harbor's limit of rules per policy. */
export const MAX_RETENTION_RULES = 15;

/** The templates, with the parameter each takes (none for `always`). */
export const RETENTION_TEMPLATES = {
  latestPushedK: { display: "retain the most recently pushed # artifacts", unit: "COUNT" },
  latestPulledN: { display: "retain the most recently pulled # artifacts", unit: "COUNT" },
  nDaysSinceLastPush: { display: "retain the artifacts pushed within the last # days", unit: "DAYS" },
  nDaysSinceLastPull: { display: "retain the artifacts pulled within the last # days", unit: "DAYS" },
  always: { display: "retain always", unit: undefined },
} as const;

export type RetentionTemplate = keyof typeof RETENTION_TEMPLATES;

/** A rule as stored (`retention_policies.rules[]`) and as Harbor's API carries it. */
export interface RetentionRule {
  id: number;
  priority: number;
  disabled: boolean;
  action: "retain";
  template: RetentionTemplate;
  /** `{ [template]: n }`; `{}` for `always`. */
  params: Record<string, number>;
  tag_selectors: HarborSelector[];
  scope_selectors: { repository: HarborSelector[] };
}

/** Parameters larger than this are refused (Harbor: int32; days beyond a lifetime make no sense). */
const MAX_PARAM = 100_000;

/** Every problem of a rule list (each naming `rules[i]…`), or an empty list. */
export function retentionRuleProblems(rules: readonly { template: string; params?: Record<string, unknown> | null | undefined; action?: string | undefined; tag_selectors: unknown; scope_selectors: { repository: unknown } }[]): string[] {
  const problems: string[] = [];
  if (rules.length > MAX_RETENTION_RULES) problems.push(`a policy has at most ${MAX_RETENTION_RULES} rules`);
  rules.forEach((rule, i) => {
    const at = `rules[${i}]`;
    if (rule.action !== undefined && rule.action !== "retain") problems.push(`${at}.action: must be retain`);
    if (!Object.hasOwn(RETENTION_TEMPLATES, rule.template)) {
      problems.push(`${at}.template: must be one of ${Object.keys(RETENTION_TEMPLATES).join(", ")}`);
    } else if (rule.template !== "always") {
      const value = rule.params?.[rule.template];
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_PARAM) problems.push(`${at}.params.${rule.template}: must be an integer from 0 to ${MAX_PARAM}`);
    }
    problems.push(...harborSelectorProblems(rule.tag_selectors, `${at}.tag_selectors`, "tag"));
    problems.push(...harborSelectorProblems(rule.scope_selectors.repository, `${at}.scope_selectors.repository`, "repository"));
  });
  return problems;
}

/** Harbor's `/retentions/metadatas`. */
export function retentionMetadata() {
  return {
    templates: Object.entries(RETENTION_TEMPLATES).map(([name, t]) => ({
      rule_template: name,
      display_text: t.display,
      action: "retain",
      params: t.unit ? [{ type: "int", unit: t.unit, required: true }] : [],
    })),
    scope_selectors: [{ display_text: "Repositories", kind: "doublestar", decorations: ["repoMatches", "repoExcludes"] }],
    tag_selectors: [{ display_text: "Tags", kind: "doublestar", decorations: ["matches", "excludes"] }],
  };
}

/**
 * The rule a proxy-cache project gets by default (Harbor's): keep what was pulled within the last
 * 7 days, in every repository, tagged or not.
 */
export function defaultProxyCacheRule(): RetentionRule {
  return {
    id: 1,
    priority: 1,
    disabled: false,
    action: "retain",
    template: "nDaysSinceLastPull",
    params: { nDaysSinceLastPull: 7 },
    tag_selectors: [{ kind: "doublestar", decoration: "matches", pattern: "**", extras: JSON.stringify({ untagged: true }) }],
    scope_selectors: { repository: [{ kind: "doublestar", decoration: "repoMatches", pattern: "**" }] },
  };
}
