// OSV's range evaluation (ossf.github.io/osv-schema, "Evaluation"): introduced/fixed/last_affected/limit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { evaluateAffected } from "./affected-range.js";
import { comparatorFor } from "./versions/ecosystem-versions.js";

const semver = comparatorFor("npm")!;
const range = (events: Record<string, string>[], type = "SEMVER") => ({ ranges: [{ type, events }], versions: [] });

test("introduced/fixed: affected in between, the fix named", () => {
  const entry = range([{ introduced: "1.0.0" }, { fixed: "1.4.2" }]);
  assert.deepEqual(evaluateAffected(entry, "0.9.0", semver), { affected: false, fixedVersion: "" });
  assert.deepEqual(evaluateAffected(entry, "1.0.0", semver), { affected: true, fixedVersion: "1.4.2" });
  assert.deepEqual(evaluateAffected(entry, "1.4.1", semver), { affected: true, fixedVersion: "1.4.2" });
  assert.deepEqual(evaluateAffected(entry, "1.4.2", semver), { affected: false, fixedVersion: "" });
});

test("several introduced/fixed pairs, unsorted events, last_affected and introduced 0", () => {
  const entry = range([{ fixed: "2.1.0" }, { introduced: "2.0.0" }, { introduced: "0" }, { fixed: "1.2.0" }]);
  assert.equal(evaluateAffected(entry, "1.1.0", semver).fixedVersion, "1.2.0");
  assert.equal(evaluateAffected(entry, "1.5.0", semver).affected, false);
  assert.equal(evaluateAffected(entry, "2.0.5", semver).fixedVersion, "2.1.0");
  const last = range([{ introduced: "0" }, { last_affected: "3.0.0" }]);
  assert.deepEqual(evaluateAffected(last, "3.0.0", semver), { affected: true, fixedVersion: "" });
  assert.equal(evaluateAffected(last, "3.0.1", semver).affected, false);
});

test("explicit versions, GIT ranges skipped, unparsable versions not guessed", () => {
  assert.equal(evaluateAffected({ ranges: [], versions: ["1.2.3"] }, "1.2.3", semver).affected, true);
  assert.equal(evaluateAffected(range([{ introduced: "abc123" }], "GIT"), "1.0.0", semver).affected, false);
  assert.equal(evaluateAffected(range([{ introduced: "0" }, { fixed: "not a version" }]), "1.0.0", semver).affected, false);
});
