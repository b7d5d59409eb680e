// `npm run bench:tokens` — the token service's throughput: `GET /service/token` with Basic auth
// through the front door, as `docker login` and every push and pull ask for it. Token issuance
// has no counterpart in CNCF Distribution, so the figure is compared with other Berth code in the
// same run: BERTH_BENCH_BASELINE names a built checkout (e.g. the commit before a change:
//   git archive <commit> | tar -x -C /tmp/berth-baseline && (cd /tmp/berth-baseline && bash scripts/setup.sh)
// ), whose stack runs beside this checkout's; rounds alternate between them.
// Workloads (each a fixed time with C concurrent clients, every answer checked to be 200 with a
// token granting the expected actions):
//   member   a database user who is a developer of the project: password check (argon2id) +
//            the project-role lookup (since identity: the user's own and their groups' roles)
//   admin    the system administrator: password check, no role lookup
// Nothing is asserted: the table and e2e/bench-results/tokens.json report req/s per round and the
// median, and the ratio this checkout ÷ baseline: the median of the rounds' paired ratios (each
// round measures both back to back, the order flipping every round).
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generatePassword, LocalStack, pickFreeTcpPort } from "@berth/local-stack";
import { repoRoot } from "../support/launcher.js";

// Many short alternating slices: on a shared, noisy machine the load moves between slices, and a
// ratio of two slices taken back to back (paired) is steadier than a ratio of medians.
const ROUNDS = Number(process.env["BERTH_BENCH_ROUNDS"] ?? 12);
const SECONDS = Number(process.env["BERTH_BENCH_TOKEN_SECONDS"] ?? 3);
const CONCURRENCY = Number(process.env["BERTH_BENCH_TOKEN_CONCURRENCY"] ?? 4);
const OUT = process.env["BERTH_BENCH_OUT"] ?? join(repoRoot, "e2e/bench-results/tokens.json");
const BASELINE = process.env["BERTH_BENCH_BASELINE"];
const USER_PASSWORD = "Bench-Passw0rd1";
const log = (line: string) => process.stderr.write(`${line}\n`);

interface Stack {
  label: string;
  baseUrl: string;
  adminPassword: string;
  stack: LocalStack;
}

async function startStack(label: string, root: string, dir: string): Promise<Stack> {
  const port = await pickFreeTcpPort();
  const adminPassword = generatePassword();
  const stack = new LocalStack({ dataDir: join(dir, label), httpHost: "127.0.0.1", httpPort: port, adminPassword, logLevel: "warn", repoRoot: root, log: (l) => log(`[${label}] ${l}`), output: () => undefined });
  await stack.start();
  const s = { label, baseUrl: `http://127.0.0.1:${port}`, adminPassword, stack };
  const api = async (method: string, path: string, body: unknown) => {
    const res = await fetch(`${s.baseUrl}/api/v2.0${path}`, { method, headers: { ...basic("admin", adminPassword), "content-type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(20_000) });
    if (res.status >= 300) throw new Error(`${label}: ${method} ${path} → ${res.status} ${await res.text()}`);
  };
  await api("POST", "/projects", { project_name: "bench" });
  await api("POST", "/users", { username: "dev", password: USER_PASSWORD, email: "dev@bench.test", realname: "dev" });
  await api("POST", "/projects/bench/members", { role_id: 2, member_user: { username: "dev" } });
  return s;
}

function basic(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` };
}

/** Token requests per second for `seconds` with `concurrency` clients; throws on any wrong answer. */
async function measure(s: Stack, user: string, password: string, expected: string[]): Promise<number> {
  const url = `${s.baseUrl}/service/token?service=berth-registry&scope=repository:bench/app:pull,push`;
  const headers = basic(user, password);
  // Warm-up (not timed): connections, caches, JIT.
  for (let i = 0; i < 5; i++) await (await fetch(url, { headers })).arrayBuffer();
  const until = performance.now() + SECONDS * 1000;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        const res = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`${s.label}: token for ${user} answered ${res.status}: ${text.slice(0, 200)}`);
        const token = (JSON.parse(text) as { token: string }).token;
        const actions = (JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as { access: { actions: string[] }[] }).access[0]!.actions;
        if (actions.join(",") !== expected.join(",")) throw new Error(`${s.label}: ${user} was granted ${actions.join(",")}, expected ${expected.join(",")}`);
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const dir = mkdtempSync(join(tmpdir(), "berth-bench-tokens-"));
const stacks: Stack[] = [];
let exitCode = 0;
const stopAll = async () => {
  for (const s of stacks) await s.stack.stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
};
process.once("SIGINT", () => void stopAll().then(() => process.exit(130)));
try {
  stacks.push(await startStack("current", repoRoot, dir));
  if (BASELINE) stacks.push(await startStack("baseline", BASELINE, dir));
  const workloads = [
    { name: "member", user: "dev", password: USER_PASSWORD, expected: ["pull", "push"] },
    { name: "admin", user: "admin", password: "", expected: ["pull", "push"] },
  ];
  const results: Record<string, Record<string, number[]>> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const w of workloads) {
      const order = round % 2 === 0 ? stacks : [...stacks].reverse();
      for (const s of order) {
        const rate = await measure(s, w.user, w.password || s.adminPassword, w.expected);
        ((results[w.name] ??= {})[s.label] ??= []).push(rate);
        log(`round ${round + 1} ${w.name} ${s.label}: ${rate.toFixed(1)} tokens/s`);
      }
    }
  }
  const lines = [`token requests/s (${CONCURRENCY} clients, ${SECONDS} s per round, ${ROUNDS} rounds; median, then each round)`];
  for (const w of workloads) {
    const cur = results[w.name]!["current"]!;
    const base = results[w.name]!["baseline"];
    lines.push(
      `${w.name.padEnd(8)} current ${median(cur).toFixed(1).padStart(7)} [${cur.map((x) => x.toFixed(1)).join(", ")}]` +
        (base ? `  baseline ${median(base).toFixed(1).padStart(7)} [${base.map((x) => x.toFixed(1)).join(", ")}]  paired ratio ${median(cur.map((c, i) => c / base[i]!)).toFixed(2)}×` : ""),
    );
  }
  console.log(lines.join("\n"));
  mkdirSync(join(OUT, ".."), { recursive: true });
  writeFileSync(OUT, JSON.stringify({ when: new Date().toISOString(), baseline: BASELINE ?? null, rounds: ROUNDS, seconds: SECONDS, concurrency: CONCURRENCY, results }, null, 2));
} catch (err) {
  log(`benchmark failed: ${err instanceof Error ? err.message : String(err)}`);
  exitCode = 1;
} finally {
  await stopAll();
}
process.exit(exitCode);
