import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluateRetention, type RetentionCandidate } from "./evaluate.js";
import { defaultProxyCacheRule, retentionRuleProblems, type RetentionRule } from "./rules.js";

const NOW = new Date("2026-06-01T00:00:00Z");
const daysAgo = (n: number) => new Date(NOW.getTime() - n * 86_400_000);
const c = (digest: string, tags: string[], pushed: number, pulled?: number, immutable = false): RetentionCandidate => ({ digest, tags, pushedAt: daysAgo(pushed), pulledAt: pulled === undefined ? null : daysAgo(pulled), immutable });
const rule = (template: RetentionRule["template"], n: number | undefined, tags = "**", repo = "**", untagged = false, disabled = false): RetentionRule => ({
  id: 1,
  priority: 1,
  disabled,
  action: "retain",
  template,
  params: n === undefined ? {} : { [template]: n },
  tag_selectors: [{ kind: "doublestar", decoration: "matches", pattern: tags, ...(untagged && { extras: '{"untagged":true}' }) }],
  scope_selectors: { repository: [{ kind: "doublestar", decoration: "repoMatches", pattern: repo }] },
});
const kept = (rules: RetentionRule[], candidates: RetentionCandidate[], repo = "app") => evaluateRetention(rules, repo, candidates, NOW).filter((d) => d.retained).map((d) => d.candidate.digest).sort();

describe("evaluateRetention", () => {
  const set = [c("a", ["v1"], 30, 1), c("b", ["v2"], 20, 9), c("c", ["v3"], 10), c("d", [], 1, 2)];

  it("latestPushedK keeps the K most recently pushed of the selected", () => assert.deepEqual(kept([rule("latestPushedK", 2)], set), ["b", "c"]));
  it("latestPulledN keeps the N most recently pulled; never pulled never ranks", () => assert.deepEqual(kept([rule("latestPulledN", 5)], set), ["a", "b"]));
  it("nDaysSinceLastPush keeps what was pushed within N days", () => assert.deepEqual(kept([rule("nDaysSinceLastPush", 15)], set), ["c"]));
  it("nDaysSinceLastPull keeps what was pulled within N days", () => assert.deepEqual(kept([rule("nDaysSinceLastPull", 5)], set), ["a"]));
  it("always keeps every selected artifact; untagged ones only with the untagged switch", () => {
    assert.deepEqual(kept([rule("always", undefined)], set), ["a", "b", "c"]);
    assert.deepEqual(kept([rule("always", undefined, "**", "**", true)], set), ["a", "b", "c", "d"]);
  });
  it("rules combine with or; tag and repository selectors; disabled rules do nothing", () => {
    assert.deepEqual(kept([rule("always", undefined, "v1"), rule("latestPushedK", 1, "v{2,3}")], set), ["a", "c"]);
    assert.deepEqual(kept([rule("always", undefined, "**", "other")], set), []);
    assert.deepEqual(kept([rule("always", undefined, "**", "**", false, true)], set), []);
  });
  it("an artifact with an immutable tag is always retained", () => {
    const d = evaluateRetention([rule("latestPushedK", 0)], "app", [c("x", ["1.0"], 100, undefined, true)], NOW)[0]!;
    assert.deepEqual([d.retained, d.reasons], [true, ["immutable"]]);
  });
  it("the proxy-cache default keeps what was pulled in the last 7 days, tagged or not", () => {
    assert.deepEqual(kept([defaultProxyCacheRule()], [c("p", [], 30, 6), c("q", ["x"], 30, 8), c("r", ["y"], 1)]), ["p"]);
    assert.deepEqual(retentionRuleProblems([defaultProxyCacheRule()]), []);
  });
});
