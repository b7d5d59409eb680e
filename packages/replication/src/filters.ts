/**
 * Policy filters (Harbor's `[{type, value, decoration}]`): `name` and `tag` are doublestar
 * patterns through the one selector module (`@berth/selectors`), `resource` is `image` or
 * `artifact`, `label` is a list of label names: `matches` selects artifacts carrying every one of
 * them, `excludes` artifacts carrying none.
 */
import { compileSelector, normalizeDecoration, patternProblem, type Decoration } from "@berth/selectors";
import { FILTER_TYPES, RESOURCE_TYPES, type FilterType, type ResourceType } from "./vocabulary.js";

/** A filter as stored in `replication_policies.filters`. */
export interface PolicyFilter {
  type: FilterType;
  value: string | string[];
  decoration?: Decoration;
}

/** Why `input` is not a valid filter list (every problem), or an empty list. */
export function filterProblems(input: readonly { type: string; value: unknown; decoration?: string | undefined }[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  input.forEach((f, i) => {
    const at = `filters[${i}]`;
    if (!(FILTER_TYPES as readonly string[]).includes(f.type)) return void problems.push(`${at}.type: must be one of ${FILTER_TYPES.join(", ")}`);
    if (seen.has(f.type)) problems.push(`${at}: only one ${f.type} filter is allowed`);
    seen.add(f.type);
    if (f.decoration !== undefined && f.decoration !== "" && normalizeDecoration(f.decoration) === undefined) problems.push(`${at}.decoration: must be matches or excludes`);
    if (f.type === "label") {
      if (!Array.isArray(f.value) || f.value.some((v) => typeof v !== "string" || v.length === 0 || v.length > 128)) problems.push(`${at}.value: a label filter is a list of label names`);
      return;
    }
    if (typeof f.value !== "string") return void problems.push(`${at}.value: must be a string`);
    if (f.type === "resource") {
      if (!(RESOURCE_TYPES as readonly string[]).includes(f.value)) problems.push(`${at}.value: must be one of ${RESOURCE_TYPES.join(", ")}`);
      return;
    }
    const problem = patternProblem(f.value);
    if (problem) problems.push(`${at}.value: ${problem}`);
  });
  return problems;
}

/** Normalised filters (decorations Harbor spells differently become matches/excludes). */
export function normalizeFilters(input: readonly { type: string; value: unknown; decoration?: string | undefined }[]): PolicyFilter[] {
  return input.map((f) => ({
    type: f.type as FilterType,
    value: f.value as string | string[],
    ...(f.type !== "resource" && { decoration: normalizeDecoration(f.decoration || "matches") ?? "matches" }),
  }));
}

/** The compiled filters of a policy. */
export interface CompiledFilters {
  /** Whether a repository (its full name, project included) is selected. */
  repository(name: string): boolean;
  /** Whether a tag is selected. */
  tag(tag: string): boolean;
  /** Whether the name filter exists (else every repository is selected). */
  readonly hasTagFilter: boolean;
  readonly resource: ResourceType;
  /** The name filter's pattern, if any (adapters that cannot list use it). */
  readonly namePattern: string | undefined;
  readonly labels: string[];
  /** Whether an artifact with these labels (names) is selected by the label filter (no filter: every artifact). */
  labelsSelect(labels: readonly string[]): boolean;
}

export function compileFilters(filters: readonly PolicyFilter[]): CompiledFilters {
  const find = (type: FilterType) => filters.find((f) => f.type === type);
  const selector = (type: "name" | "tag") => {
    const f = find(type);
    return f && typeof f.value === "string" && f.value !== "" ? compileSelector({ pattern: f.value, decoration: f.decoration ?? "matches" }) : () => true;
  };
  const name = find("name");
  const tag = find("tag");
  const resource = find("resource");
  const labels = find("label");
  return {
    repository: selector("name"),
    tag: selector("tag"),
    hasTagFilter: tag !== undefined && tag.value !== "",
    resource: resource && typeof resource.value === "string" ? (resource.value as ResourceType) : "artifact",
    namePattern: name && typeof name.value === "string" && name.value !== "" && name.decoration !== "excludes" ? name.value : undefined,
    labels: labels && Array.isArray(labels.value) ? labels.value : [],
    labelsSelect(have) {
      const wanted = labels && Array.isArray(labels.value) ? labels.value : [];
      if (wanted.length === 0) return true;
      return labels!.decoration === "excludes" ? !wanted.some((l) => have.includes(l)) : wanted.every((l) => have.includes(l));
    },
  };
}

/**
 * The repository names a pattern spells out without wildcards (`library/{alpine,busybox}` →
 * both), or undefined when it has any (`*`, `?`, `[`): registries that cannot list (Docker Hub)
 * are asked for exactly these.
 */
export function literalNames(pattern: string | undefined): string[] | undefined {
  if (!pattern || /[*?[\]\\]/.test(pattern)) return undefined;
  const open = pattern.indexOf("{");
  if (open < 0) return pattern.includes("}") ? undefined : [pattern];
  const close = pattern.indexOf("}", open);
  if (close < 0) return undefined;
  const head = pattern.slice(0, open);
  const tail = literalNames(pattern.slice(close + 1) || undefined) ?? (pattern.slice(close + 1) === "" ? [""] : undefined);
  if (!tail) return undefined;
  const options = pattern.slice(open + 1, close).split(",");
  if (options.some((o) => o.includes("{"))) return undefined;
  return options.flatMap((o) => tail.map((t) => `${head}${o}${t}`));
}
