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
