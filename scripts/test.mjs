// `npm test`: every tier, in order, with counts. Runs on the pinned Node (node_modules/.bin/node).
//   typecheck    tsc -b (also run by scripts/setup.sh's build; repeated here so it is reported)
//   unit         dist/**/*.test.js           (no servers)
//   integration  dist/**/*.int.test.js       (real PostgreSQL and Redis started here)
//   e2e          e2e/dist/**/*.e2e.test.js   (the whole stack through nginx, real clients)
// Select tiers with BERTH_TEST_TIERS=unit,integration (default: all), and files within them with
// BERTH_TEST_FILTER=<substring of the compiled path> (e.g. BERTH_TEST_FILTER=services/core/).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, globSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
process.chdir(root);
const tiers = (process.env.BERTH_TEST_TIERS ?? "typecheck,unit,integration,e2e").split(",");
const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];

const dists = ["packages/*/dist", "services/*/dist", "deploy/*/dist"];
const filter = process.env.BERTH_TEST_FILTER ?? "";
const selected = (files) => files.filter((f) => f.includes(filter));
const find = (pattern) => selected(dists.flatMap((d) => globSync(`${d}/**/${pattern}`)).sort());

function run(cmd, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...env } });
    let out = "";
    child.stdout.on("data", (chunk) => {
      process.stdout.write(chunk);
      out += chunk;
    });
    child.on("close", (code) => resolve({ code, out }));
  });
}

async function nodeTests(tier, files, env = {}, extra = []) {
  if (files.length === 0) {
    console.log(`\n== ${tier}: no test files`);
    return;
  }
  console.log(`\n== ${tier}: ${files.length} files`);
  const { code, out } = await run(process.execPath, ["--test", "--test-reporter=spec", ...extra, ...files], env);
  const count = (label) => Number(out.match(new RegExp(`^ℹ ${label} (\\d+)$`, "m"))?.[1] ?? 0);
  const passed = count("pass"), failed = count("fail"), skipped = count("skipped") + count("todo");
  totals.passed += passed;
  totals.failed += failed;
  totals.skipped += skipped;
  if (code !== 0 || failed > 0) failures.push(`${tier} (exit ${code}, ${failed} failed)`);
  console.log(`== ${tier}: ${passed} passed, ${failed} failed, ${skipped} skipped`);
}

if (tiers.includes("typecheck")) {
  console.log("== typecheck: tsc -b");
  const { code } = await run(path.join(root, "node_modules/.bin/tsc"), ["-b"]);
  if (code !== 0) failures.push("typecheck");
}

if (tiers.includes("unit")) {
  const unit = find("*.test.js").filter((f) => !f.endsWith(".int.test.js"));
  await nodeTests("unit", unit);
}

if (tiers.includes("integration")) {
  const files = find("*.int.test.js");
  if (files.length) {
    const { startPostgres, startRedis } = await import("../deploy/local/dist/index.js");
    const dir = mkdtempSync(path.join(tmpdir(), "berth-test-"));
    const pg = await startPostgres({ dir: path.join(dir, "postgres") });
    const redis = await startRedis({ dir: path.join(dir, "redis") });
    try {
      await nodeTests("integration", files, { BERTH_TEST_PG_URL: pg.adminUrl, BERTH_TEST_REDIS_URL: redis.url });
    } finally {
      await redis.stop();
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  } else {
    console.log("\n== integration: no test files");
  }
}

if (tiers.includes("e2e")) {
  await nodeTests("e2e", selected(globSync("e2e/dist/**/*.e2e.test.js").sort()), {}, ["--test-concurrency=1"]);
}

console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
if (failures.length) {
  console.log(`failed tiers: ${failures.join(", ")}`);
  process.exit(1);
}
