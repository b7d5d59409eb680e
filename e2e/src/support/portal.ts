// Helpers for the portal's browser tests: axe-core injected into a page (no rule disabled unless
// listed below with the reason), screenshots kept as test artifacts, sign-in through the form.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { repoRoot } from "./launcher.js";

/**
 * Where screenshots go: BERTH_TEST_ARTIFACTS_DIR, else `e2e/test-artifacts/` (not committed;
 * CI keeps the folder as the run's artifacts, docs/portal.md links its files).
 */
export const ARTIFACTS_DIR = process.env["BERTH_TEST_ARTIFACTS_DIR"] ?? join(repoRoot, "e2e", "test-artifacts");

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/**
 * Runs axe (WCAG 2.1 A and AA rules and best practices) on the page once its transitions ended;
 * fails with every violation, named. No rule is disabled.
 */
export async function assertAccessible(page: Page, what: string): Promise<void> {
  // A dialog fading in is half transparent: its colours measured mid-transition have less contrast
  // than the dialog the user reads. Check the page at rest.
  // (Endless ones — a spinner — never end and are not transitions.)
  await page.waitForFunction("document.getAnimations().every((a) => a.playState !== 'running' || a.effect?.getComputedTiming().endTime === Infinity)", undefined, { timeout: 10_000 });
  if (!(await page.evaluate("typeof axe !== 'undefined'"))) await page.addScriptTag({ content: axeSource });
  const options = { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] }, resultTypes: ["violations"] };
  // A string: the e2e project compiles without the DOM's types.
  const violations = (await page.evaluate(`axe.run(document, ${JSON.stringify(options)}).then((r) => r.violations)`)) as AxeViolation[];
  const report = violations
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n${v.nodes.slice(0, 5).map((n) => `    ${n.target.join(" ")}: ${n.failureSummary ?? ""}`).join("\n")}`)
    .join("\n");
  assert.equal(violations.length, 0, `axe found ${violations.length} accessibility violation(s) on ${what}:\n${report}`);
}

/** A full-page PNG under ARTIFACTS_DIR/portal/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = join(ARTIFACTS_DIR, "portal");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Signs in through the portal's form and waits for the projects page. */
export async function signIn(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel(/^Password/).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Projects" }).waitFor();
}
