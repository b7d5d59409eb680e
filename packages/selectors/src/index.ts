/**
 * `@berth/selectors`: the one selector module (ARCHITECTURE.md, shared contracts) behind
 * replication filters, tag retention and tag immutability. Patterns are doublestar globs as Harbor
 * uses them (`*` and `?` stay within a path segment, `**` crosses segments, `[a-z]`, `[!a]`,
 * `{a,b}`); a selector pairs a pattern with a decoration saying whether matching values are
 * selected or excluded. An empty pattern selects everything, as in Harbor.
 */
import picomatch from "picomatch";

/** Whether values matching the pattern are kept (`matches`) or dropped (`excludes`). */
export type Decoration = "matches" | "excludes";

/** Harbor's spellings: retention and immutability say `repoMatches`/`repoExcludes` for repositories. */
export type HarborDecoration = Decoration | "repoMatches" | "repoExcludes";

export interface Selector {
  pattern: string;
  decoration: Decoration;
}

/** Longest pattern accepted (Harbor stores them in 256-character columns). */
export const MAX_PATTERN_LENGTH = 256;

/** Maps Harbor's repository decorations onto `matches`/`excludes`; undefined for anything else. */
export function normalizeDecoration(decoration: string): Decoration | undefined {
  switch (decoration) {
    case "matches":
    case "repoMatches":
      return "matches";
    case "excludes":
    case "repoExcludes":
      return "excludes";
    default:
      return undefined;
  }
}

/** Why `pattern` is not a usable doublestar pattern, or undefined when it is. */
export function patternProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_PATTERN_LENGTH) return `a pattern is at most ${MAX_PATTERN_LENGTH} characters`;
  if (/[\u0000-\u001f]/.test(pattern)) return "a pattern may not contain control characters";
  let brackets = false;
  let braces = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (brackets) {
      if (c === "]") brackets = false;
      continue;
    }
    if (c === "[") brackets = true;
    else if (c === "{") braces++;
    else if (c === "}" && --braces < 0) return `unbalanced "}" in pattern "${pattern}"`;
  }
  if (brackets) return `unclosed "[" in pattern "${pattern}"`;
  if (braces > 0) return `unclosed "{" in pattern "${pattern}"`;
  return undefined;
}

/** Thrown by {@link compileSelector} for a pattern {@link patternProblem} rejects. */
export class InvalidPatternError extends Error {
  override name = "InvalidPatternError";
}

/** A predicate for one pattern: true when `value` matches it. */
export function compilePattern(pattern: string): (value: string) => boolean {
  const problem = patternProblem(pattern);
  if (problem) throw new InvalidPatternError(problem);
  if (pattern === "" || pattern === "**") return () => true;
  return picomatch(bracketNegation(pattern), { dot: true, noextglob: true, nonegate: true });
}

/** doublestar negates a bracket expression with `[!…]`; picomatch only understands `[^…]`. */
function bracketNegation(pattern: string): string {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\") {
      out += c + (pattern[i + 1] ?? "");
      i++;
    } else if (c === "[" && pattern[i + 1] === "!") {
      out += "[^";
      i++;
    } else {
      out += c;
    }
  }
  return out;
}

/** A predicate for one selector: true when `value` is selected by it. */
export function compileSelector(selector: Selector): (value: string) => boolean {
  const matches = compilePattern(selector.pattern);
  return selector.decoration === "matches" ? matches : (value) => !matches(value);
}

/** A predicate that holds when every selector selects the value (no selectors: everything). */
export function compileSelectors(selectors: readonly Selector[]): (value: string) => boolean {
  const all = selectors.map(compileSelector);
  return (value) => all.every((s) => s(value));
}

/**
 * A selector as Harbor's retention and immutability rules carry it:
 * `{kind: "doublestar", decoration, pattern, extras?}` (`extras` is a JSON string; retention's
 * tag selector says `{"untagged": true}` in it).
 */
export interface HarborSelector {
  kind: string;
  decoration: string;
  pattern: string;
  extras?: string;
}

/** Why `list` is not a list of Harbor selectors of `role` (every problem, each prefixed by `at`), or an empty list. */
export function harborSelectorProblems(list: unknown, at: string, role: "tag" | "repository"): string[] {
  if (!Array.isArray(list) || list.length === 0) return [`${at}: needs one selector`];
  if (list.length > 1) return [`${at}: one selector is supported`];
  const problems: string[] = [];
  list.forEach((s: unknown, i) => {
    const where = `${at}[${i}]`;
    if (typeof s !== "object" || s === null) return void problems.push(`${where}: must be an object`);
    const { kind, decoration, pattern, extras } = s as Record<string, unknown>;
    if (kind !== undefined && kind !== "doublestar") problems.push(`${where}.kind: must be doublestar`);
    const allowed = role === "tag" ? ["matches", "excludes"] : ["repoMatches", "repoExcludes", "matches", "excludes"];
    if (typeof decoration !== "string" || !allowed.includes(decoration)) problems.push(`${where}.decoration: must be one of ${allowed.join(", ")}`);
    if (typeof pattern !== "string") problems.push(`${where}.pattern: must be a string`);
    else {
      const problem = patternProblem(pattern);
      if (problem) problems.push(`${where}.pattern: ${problem}`);
    }
    if (extras !== undefined && extras !== "" && (typeof extras !== "string" || !isJsonObject(extras))) problems.push(`${where}.extras: must be a JSON object in a string`);
  });
  return problems;
}

function isJsonObject(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

/** Harbor selectors as {@link Selector}s (unknown decorations select nothing: callers validated them). */
export function fromHarborSelectors(list: readonly HarborSelector[]): Selector[] {
  return list.map((s) => ({ pattern: s.pattern, decoration: normalizeDecoration(s.decoration) ?? "matches" }));
}

/** The parsed `extras` of a Harbor selector (`{}` when absent or not an object). */
export function selectorExtras(selector: HarborSelector | undefined): Record<string, unknown> {
  if (!selector?.extras) return {};
  try {
    const v: unknown = JSON.parse(selector.extras);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * The one reading of a Harbor rule's scope: whether it applies to `repository` (the name without
 * its project, as Harbor matches retention and immutability repository selectors) and `tag`.
 */
export function compileHarborRule(rule: { tagSelectors: readonly HarborSelector[]; repositorySelectors: readonly HarborSelector[] }): {
  repository(name: string): boolean;
  tag(tag: string): boolean;
} {
  return { repository: compileSelectors(fromHarborSelectors(rule.repositorySelectors)), tag: compileSelectors(fromHarborSelectors(rule.tagSelectors)) };
}
