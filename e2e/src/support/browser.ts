// A real browser for e2e tests: Debian's chromium (installed by scripts/setup.sh's test tools),
// driven by playwright-core with `executablePath` — nothing is downloaded. Each browser gets a
// fresh profile directory, removed on close. Reused by every browser test (OIDC sign-in, the
// portal).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

/** Debian's chromium. */
export const CHROMIUM_PATH = process.env["BERTH_TEST_CHROMIUM"] ?? "/usr/bin/chromium";

/**
 * Flags for a quiet, self-contained headless chromium: no sandbox (the tests run as root, where
 * chromium refuses to start sandboxed), no GPU, no QUIC, no first-run UI, no background traffic
 * (component updates, sync, network fetches of its own). Playwright adds `--headless` and the
 * fresh `--user-data-dir` itself.
 */
export const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface TestBrowser {
  context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Launches chromium headless with a fresh profile. `ignoreHTTPSErrors` accepts certificates of
 * the tests' private CAs (an identity provider's, for example).
 */
export async function launchBrowser(options: { ignoreHTTPSErrors?: boolean } = {}): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "berth-e2e-chromium-"));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      chromiumSandbox: false,
      args: CHROMIUM_FLAGS,
      ignoreHTTPSErrors: options.ignoreHTTPSErrors ?? false,
      timeout: 60_000,
    });
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  context.setDefaultTimeout(30_000);
  return {
    context,
    newPage: () => context.newPage(),
    async close() {
      try {
        await context.close();
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}
