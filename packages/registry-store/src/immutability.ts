/**
 * Tag immutability (docs/immutability.md), enforced where tags change — here, in every path that
 * moves or removes a tag: a manifest PUT that would move a tag to another digest, a tag delete, a
 * manifest delete (it removes its tags), a repository delete; core's API, copies, replication's
 * local writes and retention all go through these. The rules are rows of `immutable_tag_rules`
 * (core writes them); a tag is immutable when an enabled rule of its project selects its
 * repository (the name without the project) and the tag. Checks run inside the caller's
 * transaction, after its write: a refusal rolls the write back, and a tag that does not change
 * costs no query.
 */
import { compileHarborRule, type HarborSelector } from "@berth/selectors";
import type { Db } from "./db.js";
import { RegistryStoreError } from "./errors.js";

/** A tag an immutability rule protects was to be moved, deleted or overwritten. */
export class TagImmutableError extends RegistryStoreError {
  constructor(
    readonly repository: string,
    readonly tag: string,
    readonly ruleId: number,
    readonly rule: string,
    operation: "moved to another digest" | "deleted",
  ) {
    super(`tag ${tag} of ${repository} is immutable and cannot be ${operation} (immutability rule ${ruleId}: ${rule})`, { repository, tag, rule: ruleId });
  }
}

interface RuleRow {
  id: number;
  tag_selectors: HarborSelector[];
  scope_selectors: { repository?: HarborSelector[] };
}

/** A rule in words: `tags matching "v*" in repositories matching "**"`. */
function describe(rule: RuleRow): string {
  const part = (s: HarborSelector | undefined, what: string) =>
    s ? `${what} ${/excludes/i.test(s.decoration) ? "excluding" : "matching"} "${s.pattern}"` : `any ${what}`;
  return `${part(rule.tag_selectors[0], "tags")} in ${part(rule.scope_selectors.repository?.[0], "repositories")}`;
}

/** The project of a repository and the name within it. */
function split(repository: string): { project: string; name: string } {
  const slash = repository.indexOf("/");
  return slash < 0 ? { project: repository, name: repository } : { project: repository.slice(0, slash), name: repository.slice(slash + 1) };
}

/**
 * The first of `tags` of `repository` an enabled immutability rule protects, with the rule, or
 * `undefined`. One query (the project's rules), none when `tags` is empty.
 */
export async function findImmutableTag(db: Db, repository: string, tags: readonly string[]): Promise<{ tag: string; ruleId: number; rule: string } | undefined> {
  if (tags.length === 0) return undefined;
  const { project, name } = split(repository);
  const rules = await db.$queryRaw<RuleRow[]>`
    SELECT r.id, r.tag_selectors, r.scope_selectors FROM immutable_tag_rules r JOIN projects p ON p.id = r.project_id
    WHERE p.name = ${project} AND NOT r.disabled ORDER BY r.priority, r.id`;
  for (const rule of rules) {
    const compiled = compileHarborRule({ tagSelectors: rule.tag_selectors ?? [], repositorySelectors: rule.scope_selectors?.repository ?? [] });
    if (!compiled.repository(name)) continue;
    const tag = tags.find((t) => compiled.tag(t));
    if (tag !== undefined) return { tag, ruleId: rule.id, rule: describe(rule) };
  }
  return undefined;
}

/** Throws {@link TagImmutableError} when one of `tags` is protected. */
export async function assertMutable(db: Db, repository: string, tags: readonly string[], operation: "moved to another digest" | "deleted"): Promise<void> {
  const found = await findImmutableTag(db, repository, tags);
  if (found) throw new TagImmutableError(repository, found.tag, found.ruleId, found.rule, operation);
}
