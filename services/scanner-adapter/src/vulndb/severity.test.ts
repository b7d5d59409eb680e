// Severities from CVSS vectors (scores from FIRST's calculators) and from databases' words.
import { test } from "node:test";
import assert from "node:assert/strict";
import { severityOf } from "./severity.js";

test("CVSS v3.1, v4.0 and v2 vectors give the score's rating; the highest version wins", () => {
  assert.equal(severityOf([{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" }], []).severity, "Critical");
  assert.equal(severityOf([{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H" }], []).severity, "High");
  assert.equal(severityOf([{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:N" }], []).severity, "Medium");
  assert.equal(severityOf([{ type: "CVSS_V2", score: "AV:N/AC:L/Au:N/C:C/I:C/A:C" }], []).severity, "High", "CVSS 2 has no Critical");
  const both = severityOf([{ type: "CVSS_V2", score: "AV:N/AC:L/Au:N/C:N/I:N/A:P" }, { type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" }], []);
  assert.equal(both.severity, "Critical");
  assert.equal(both.cvss?.score_v3, 9.8);
  assert.equal(both.cvss?.score_v2, 5);
});

test("without a usable vector: the database's or ecosystem's word; else Unknown", () => {
  assert.equal(severityOf([], ["MODERATE"]).severity, "Medium");
  assert.equal(severityOf([{ type: "CVSS_V3", score: "garbage" }], ["", "unimportant"]).severity, "Negligible");
  assert.equal(severityOf([], ["not yet assigned"]).severity, "Unknown");
});

test("a score of 0.0 or the word none is Negligible: the Pluggable Scanner API's Severity has no None", () => {
  assert.equal(severityOf([{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N" }], []).severity, "Negligible");
  assert.equal(severityOf([{ type: "CVSS_V2", score: "AV:N/AC:L/Au:N/C:N/I:N/A:N" }], []).severity, "Negligible");
  assert.equal(severityOf([], ["none"]).severity, "Negligible");
});
