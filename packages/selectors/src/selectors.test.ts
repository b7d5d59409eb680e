// Expected values follow doublestar's documented semantics (github.com/bmatcuk/doublestar), the
// library Harbor's selectors use.
import assert from "node:assert/strict";
import { test } from "node:test";
import { compilePattern, compileSelector, compileSelectors, InvalidPatternError, normalizeDecoration, patternProblem } from "./index.js";

const cases: [pattern: string, value: string, expected: boolean][] = [
  ["library/*", "library/nginx", true],
  ["library/*", "library/nginx/sub", false],
  ["library/**", "library/nginx/sub", true],
  ["**", "a/b/c", true],
  ["", "anything/at/all", true],
  ["*", "a/b", false],
  ["v1.?", "v1.2", true],
  ["v1.?", "v1.10", false],
  ["v[0-9]*", "v2-beta", true],
  ["v[!0-9]*", "v2-beta", false],
  ["{latest,stable}", "stable", true],
  ["{latest,stable}", "edge", false],
  ["release-{1,2}.*", "release-2.0", true],
  ["*.sig", ".sig", true],
  ["**/nginx", "proxy/library/nginx", true],
  ["**/nginx", "nginx", true],
  ["!foo", "!foo", true],
];

test("doublestar semantics", () => {
  for (const [pattern, value, expected] of cases) {
    assert.equal(compilePattern(pattern)(value), expected, `${JSON.stringify(pattern)} vs ${JSON.stringify(value)}`);
  }
});

test("decorations: matches selects, excludes drops; Harbor's repo spellings map onto them", () => {
  assert.equal(compileSelector({ pattern: "dev-*", decoration: "excludes" })("dev-1"), false);
  assert.equal(compileSelector({ pattern: "dev-*", decoration: "excludes" })("prod"), true);
  assert.equal(normalizeDecoration("repoMatches"), "matches");
  assert.equal(normalizeDecoration("repoExcludes"), "excludes");
  assert.equal(normalizeDecoration("nope"), undefined);
  const both = compileSelectors([
    { pattern: "library/**", decoration: "matches" },
    { pattern: "**/test-*", decoration: "excludes" },
  ]);
  assert.equal(both("library/app"), true);
  assert.equal(both("library/test-app"), false);
  assert.equal(both("other/app"), false);
  assert.equal(compileSelectors([])("x"), true);
});

test("malformed patterns are refused with a reason", () => {
  assert.match(patternProblem("v[0-9")!, /unclosed "\["/);
  assert.match(patternProblem("{a,b")!, /unclosed "\{"/);
  assert.match(patternProblem("a}")!, /unbalanced/);
  assert.match(patternProblem("x".repeat(300))!, /at most 256/);
  assert.match(patternProblem("a\u0000b")!, /control characters/);
  assert.equal(patternProblem("[{]"), undefined);
  assert.throws(() => compilePattern("{"), InvalidPatternError);
});
