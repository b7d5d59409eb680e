// Version order per ecosystem, against cases published with the reference implementations:
// dpkg (each dpkg case checked with `dpkg --compare-versions`), rpm's tests/rpmvercmp.at, apk-tools' test/version.data.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compareApk } from "./apk-version.js";
import { compareDpkg } from "./dpkg-version.js";
import { comparatorFor } from "./ecosystem-versions.js";
import { compareRpm } from "./rpm-version.js";

const sign = (n: number) => Math.sign(n);

test("dpkg: epochs, tildes, revisions and digit runs as dpkg orders them", () => {
  const cases: [string, string, number][] = [
    ["1.0", "1.0", 0],
    ["1.0", "1.1", -1],
    ["1:1.0", "2.0", 1],
    ["1.0~rc1", "1.0", -1],
    ["1.0~~", "1.0~", -1],
    ["1.0~", "1.0", -1],
    ["1.0", "1.0-1", -1],
    ["1.0-1", "1.0-2", -1],
    ["1.0a", "1.0", 1],
    ["1.0+b1", "1.0", 1],
    ["1.0.1", "1.0+b1", 1],
    ["2.36-9+deb12u4", "2.36-9+deb12u10", -1],
    ["1.2.13.dfsg-1", "1.2.13.dfsg-1+berth1", -1],
    ["0:1.0", "1.0", 0],
    ["1.00", "1.0", 0],
    ["1.10", "1.9", 1],
  ];
  for (const [a, b, want] of cases) assert.equal(sign(compareDpkg(a, b)), want, `${a} vs ${b}`);
});

test("rpm: rpmvercmp segments, tilde and caret, epoch and release", () => {
  const cases: [string, string, number][] = [
    ["1.0", "1.0", 0],
    ["1.0", "2.0", -1],
    ["2.0.1", "2.0.1a", -1],
    ["5.5p1", "5.5p2", -1],
    ["5.5p10", "5.5p1", 1],
    ["10xyz", "10.1xyz", -1],
    ["xyz10", "xyz10.1", -1],
    ["1.0~rc1", "1.0", -1],
    ["1.0^", "1.0", 1],
    ["1.0^git1", "1.0.1", -1],
    ["1:1.0-1", "2.0-1", 1],
    ["3.0.7-24.el9", "3.0.7-27.el9", -1],
    ["1.0-1.el9", "1.0-1.el9", 0],
  ];
  for (const [a, b, want] of cases) assert.equal(sign(compareRpm(a, b)), want, `${a} vs ${b}`);
});

test("apk: suffixes, letters and revisions as apk-tools orders them", () => {
  const cases: [string, string, number][] = [
    ["1.0", "1.0", 0],
    ["1.0", "1.0.1", -1],
    ["1.0_rc1", "1.0", -1],
    ["1.0_alpha1", "1.0_beta1", -1],
    ["1.0_p1", "1.0", 1],
    ["1.0a", "1.0", 1],
    ["1.0-r1", "1.0-r2", -1],
    ["3.1.4-r5", "3.1.4-r10", -1],
    ["1.36.1-r2", "1.36.1-r15", -1],
  ];
  for (const [a, b, want] of cases) assert.equal(sign(compareApk(a, b)), want, `${a} vs ${b}`);
});

test("library-backed ecosystems: semver (npm, Go), PEP 440 (PyPI), Maven's ComparableVersion", () => {
  const npm = comparatorFor("npm")!;
  assert.equal(sign(npm("1.2.3", "1.10.0")), -1);
  assert.equal(sign(npm("1.0.0-beta.2", "1.0.0")), -1);
  const go = comparatorFor("Go")!;
  assert.equal(sign(go("v0.9.1", "v0.10.0")), -1);
  const pypi = comparatorFor("PyPI")!;
  assert.equal(sign(pypi("1.0rc1", "1.0")), -1);
  assert.equal(sign(pypi("1.0.post1", "1.0")), 1);
  assert.equal(sign(pypi("2.0", "10.0")), -1);
  const maven = comparatorFor("Maven")!;
  assert.equal(sign(maven("1.0-SNAPSHOT", "1.0")), -1);
  assert.equal(sign(maven("2.11.0", "2.7")), 1);
  assert.equal(sign(maven("1.0-alpha-1", "1.0-beta-1")), -1);
  assert.equal(comparatorFor("crates.io"), undefined, "an ecosystem Berth cannot order is not guessed");
});
