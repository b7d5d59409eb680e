import { test } from "node:test";
import assert from "node:assert/strict";
import { allowlistActive, effectiveAllowlist } from "./allowlist.js";
import { pullRefusalMessage } from "./pull-policy.js";
import { parseSeverity, severityRank } from "./severity.js";

test("the project's allowlist, or the system's with reuse; an expired list filters nothing", () => {
  const now = new Date("2026-06-01T00:00:00Z");
  const future = now.getTime() / 1000 + 60;
  const past = now.getTime() / 1000 - 60;
  const own = { items: ["cve-2026-0001 "], expiresAt: future };
  const system = { items: ["CVE-2026-0002"], expiresAt: null };
  assert.deepEqual([...effectiveAllowlist({ reuseSystem: false, own }, system, now)], ["CVE-2026-0001"]);
  assert.deepEqual([...effectiveAllowlist({ reuseSystem: true, own }, system, now)], ["CVE-2026-0002"]);
  assert.deepEqual([...effectiveAllowlist({ reuseSystem: false, own: { ...own, expiresAt: past } }, system, now)], []);
  assert.equal(allowlistActive(undefined, now), false);
});

test("Harbor's refusal messages, naming the CVE ids that block", () => {
  const vulnerable = pullRefusalMessage({ allowed: false, reason: "vulnerable", severity: "High", cves: ["CVE-1", "CVE-2"] });
  assert.match(vulnerable, /^current image with 2 vulnerabilities \(CVE-1, CVE-2\) cannot be pulled due to configured policy in 'Prevent images with vulnerability severity of "High" or higher from running\.'/);
  assert.match(pullRefusalMessage({ allowed: false, reason: "not-scanned", severity: "Low" }), /^current image without vulnerability scanning cannot be pulled/);
  assert.match(pullRefusalMessage({ allowed: false, reason: "scan-failed", severity: "Low" }), /^current image with vulnerability scanning error cannot be pulled/);
});

test("severities order as the API lists them; project settings parse in any case", () => {
  assert.ok(severityRank("Critical") > severityRank("High") && severityRank("High") > severityRank("Medium") && severityRank("Low") > severityRank("Negligible"));
  assert.equal(parseSeverity("high"), "High");
  assert.equal(parseSeverity("bogus"), undefined);
});
