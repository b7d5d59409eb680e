// `npm run bench:lists` — the API's big lists at 100,000 rows, on a SEEDED dataset (nothing here
// is pushed at that size: `bench:scale` builds its dataset through the API and takes an hour for
// 100k + 100k pushes; this takes minutes, and is said to be seeded wherever it is reported).
// One image is pushed through the front door, then copied by SQL: N repositories `<p>/r<i>` of one
// artifact each, N artifacts with a tag each in `<p>/one`, 2N audit rows of the project — with the
// count rows registry-store and @berth/audit write alongside (docs/performance.md, "Totals and
// deep pages"), when the checkout has them — then VACUUM ANALYZE (autovacuum would get there).
// Then, R requests per scenario, C in flight, over keep-alive through nginx with Basic auth: the
// floor (`users/current`), the repositories list (first page, random deep pages for every sort),
// the audit logs (system and project; first and deep pages), the artifacts of `<p>/one` with tags
// (page 1, random deep pages, every sort), the projects list, the project summary, and `/v2/_catalog`
// (first and deep pages, with a catalog token). Every answer's
// status and X-Total-Count are checked. p50/p95/p99 in ms.
// BERTH_LISTS_ROOT: a built checkout to measure instead of this one (before/after: run both,
// alternating). BERTH_LISTS_SIZE (100000), BERTH_LISTS_REQUESTS (200), BERTH_LISTS_CONCURRENCY
// (4), BERTH_BENCH_OUT (e2e/bench-results/lists.json). Nothing is asserted about speed.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { generatePassword } from "@berth/local-stack";
import { repoRoot } from "../support/launcher.js";
import { makeSmallImage, pushImage } from "../support/oci-client.js";
import { machineNote } from "./report.js";
import { measure, type LatencyStats } from "./scale/latency.js";
import { ScaleStack } from "./scale/scale-stack.js";
import { randomBytesOf } from "./workloads/common.js";

const num = (name: string, fallback: number) => {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number`);
  return n;
};
const N = num("BERTH_LISTS_SIZE", 100_000);
const REQUESTS = num("BERTH_LISTS_REQUESTS", 200);
const CONCURRENCY = num("BERTH_LISTS_CONCURRENCY", 4);
const ROOT = process.env["BERTH_LISTS_ROOT"] || repoRoot;
const OUT = process.env["BERTH_BENCH_OUT"] ?? join(repoRoot, "e2e", "bench-results", "lists.json");
const P = "lists";
const PAGE = 100;

const started = Date.now();
const log = (line: string) => process.stderr.write(`[lists ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);
const pageAt = (i: number, pages: number) => 1 + ((i * 7919 + 13) % Math.max(1, pages));

function seed(stack: ScaleStack): void {
  const copyOf = `(SELECT id FROM repositories WHERE name = '${P}/r0')`;
  stack.psql(`
    INSERT INTO repositories (name, created_at, updated_at)
      SELECT '${P}/r' || g, now() - g * interval '1 s', now() - g * interval '1 s' FROM generate_series(1, ${N - 1}) g;
    INSERT INTO manifests (repository_id, digest, media_type, artifact_type, payload, size, subject_digest, created_at, pushed_at, config_attributes)
      SELECT r.id, m.digest, m.media_type, m.artifact_type, m.payload, m.size, m.subject_digest, r.created_at, r.created_at, m.config_attributes
      FROM repositories r, manifests m WHERE m.repository_id = ${copyOf} AND r.name LIKE '${P}/r%' AND r.name <> '${P}/r0';
    INSERT INTO repositories (name) VALUES ('${P}/one');
    INSERT INTO manifests (repository_id, digest, media_type, artifact_type, payload, size, subject_digest, created_at, pushed_at, config_attributes)
      SELECT (SELECT id FROM repositories WHERE name = '${P}/one'), 'sha256:' || md5(g::text) || md5((g + 1)::text), m.media_type, m.artifact_type,
             m.payload, m.size, m.subject_digest, now() - g * interval '1 s', now() - g * interval '1 s', m.config_attributes
      FROM manifests m, generate_series(1, ${N}) g WHERE m.repository_id = ${copyOf};
    INSERT INTO tags (repository_id, name, manifest_id, updated_at)
      SELECT m.repository_id, 't' || m.id, m.id, now() FROM manifests m WHERE m.repository_id = (SELECT id FROM repositories WHERE name = '${P}/one');
    INSERT INTO audit_logs (operator, operator_type, resource, resource_type, operation, project_id, op_time, source)
      SELECT 'admin', 'user', '${P}/r' || g || ':latest', 'artifact', 'create', (SELECT id FROM projects WHERE name = '${P}'), now() - g * interval '1 ms', 'registry'
      FROM generate_series(1, ${2 * N}) g;`);
  const tables = new Set(stack.psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").split("\n"));
  if (tables.has("project_repository_counts")) {
    // What the writers add with each row (the pushed r0 and its audit row are counted already).
    stack.psql(`
      INSERT INTO project_repository_counts (project, delta) VALUES ('${P}', ${N});
      INSERT INTO audit_log_counts (project_id, delta) VALUES ((SELECT id FROM projects WHERE name = '${P}'), ${2 * N});
      INSERT INTO repository_artifact_counts (repository_id, delta)
        SELECT m.repository_id, count(*) FROM manifests m JOIN repositories r ON r.id = m.repository_id
        WHERE r.name LIKE '${P}/%' AND r.name <> '${P}/r0' GROUP BY 1;`);
  }
  stack.psql("VACUUM ANALYZE");
}

function checkTotal(expected: number | undefined) {
  return (_status: number, body: Buffer, headers: Record<string, unknown>) => {
    if (!Array.isArray(JSON.parse(body.toString("utf8")))) throw new Error("not a list");
    const total = Number(headers["x-total-count"]);
    if (expected !== undefined && total !== expected) throw new Error(`X-Total-Count ${total}, expected ${expected}`);
  };
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), "berth-lists-"));
  const stack = await ScaleStack.start({ label: "berth", repoRoot: ROOT, dataDir: join(scratch, "berth"), adminPassword: generatePassword(), log });
  const results: { name: string; stats: LatencyStats }[] = [];
  try {
    await stack.http.send({
      method: "POST",
      path: "/api/v2.0/projects",
      headers: { ...stack.admin, "content-type": "application/json" },
      body: Buffer.from(JSON.stringify({ project_name: P, metadata: { public: "false" } })),
      expect: [201],
    });
    await pushImage(await stack.repo(`${P}/r0`), makeSmallImage([1024], randomBytesOf, "lists"), "latest");
    const t0 = Date.now();
    seed(stack);
    log(`seeded ${N} repositories, ${N} artifacts in ${P}/one, ${2 * N} audit rows in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    // Until jobservice has written the push's audit row (its backlog is empty): the totals below are exact.
    for (let i = 0; i < 300 && (await stack.backlog()) > 0; i++) await new Promise((r) => setTimeout(r, 200));
    const audits = Number(stack.psql(`SELECT count(*) FROM audit_logs`).trim());
    const projectAudits = Number(stack.psql(`SELECT count(*) FROM audit_logs WHERE project_id = (SELECT id FROM projects WHERE name = '${P}')`).trim());

    const api = (path: string) => `/api/v2.0${path}`;
    const repos = N + 1;
    const catalog = await stack.token("registry:catalog:*");
    const repositoriesIn = (key: string) => (_status: number, body: Buffer) => {
      const list = (JSON.parse(body.toString("utf8")) as Record<string, unknown>)[key];
      if (!Array.isArray(list) || list.length === 0) throw new Error(`${key}: no entries`);
    };
    const scenarios: { name: string; path: (i: number) => string; total?: number; headers?: Record<string, string>; check?: (status: number, body: Buffer) => void }[] = [
      { name: "floor: users/current (Basic, one row)", path: () => api("/users/current") },
      { name: "projects list", path: () => api("/projects?page=1&page_size=10") },
      { name: "project summary", path: () => api(`/projects/${P}/summary`) },
      { name: "repositories, page 1", path: () => api(`/projects/${P}/repositories?page=1&page_size=${PAGE}`), total: repos },
      ...["", "name", "-name", "creation_time", "-creation_time", "update_time", "-update_time"].map((sort) => ({
        name: `repositories, random deep page${sort ? `, sort=${sort}` : ""}`,
        path: (i: number) => api(`/projects/${P}/repositories?page=${pageAt(i, Math.ceil(repos / PAGE))}&page_size=${PAGE}${sort ? `&sort=${sort}` : ""}`),
        total: repos,
      })),
      { name: "artifacts with tags, page 1", path: () => api(`/projects/${P}/repositories/one/artifacts?with_tag=true&page_size=${PAGE}&page=1`), total: N },
      ...["", "push_time", "-push_time", "pull_time", "size", "digest"].map((sort) => ({
        name: `artifacts with tags, random deep page${sort ? `, sort=${sort}` : ""}`,
        path: (i: number) => api(`/projects/${P}/repositories/one/artifacts?with_tag=true&page_size=${PAGE}&page=${pageAt(i, N / PAGE)}${sort ? `&sort=${sort}` : ""}`),
        total: N,
      })),
      { name: "audit logs, page 1", path: () => api(`/audit-logs?page=1&page_size=${PAGE}`), total: audits },
      { name: "audit logs, random deep page", path: (i) => api(`/audit-logs?page=${pageAt(i, Math.ceil(audits / PAGE))}&page_size=${PAGE}`), total: audits },
      { name: "project logs, page 1", path: () => api(`/projects/${P}/logs?page=1&page_size=${PAGE}`), total: projectAudits },
      { name: "project logs, random deep page", path: (i) => api(`/projects/${P}/logs?page=${pageAt(i, Math.ceil(projectAudits / PAGE))}&page_size=${PAGE}`), total: projectAudits },
      { name: "_catalog, first page (n=100)", path: () => "/v2/_catalog?n=100", headers: catalog, check: repositoriesIn("repositories") },
      { name: "_catalog, random deep page (n=100, last=…)", path: (i) => `/v2/_catalog?n=100&last=${encodeURIComponent(`${P}/r${pageAt(i, N) - 1}`)}`, headers: catalog, check: repositoriesIn("repositories") },
    ];
    for (const s of scenarios) {
      const check = s.check ?? (s.total !== undefined ? checkTotal(s.total) : undefined);
      const stats = await measure(stack.http, (i) => ({ path: s.path(i), headers: s.headers ?? stack.admin, ...(check && { check }) }), REQUESTS, CONCURRENCY);
      results.push({ name: s.name, stats });
      log(`${s.name}: p50 ${stats.p50} / p95 ${stats.p95} / p99 ${stats.p99} ms`);
    }
  } finally {
    await stack.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  } catch {
    // not a git checkout
  }
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify({ date: new Date().toISOString(), commit, machine: machineNote(), load: loadavg(), size: N, requests: REQUESTS, concurrency: CONCURRENCY, seeded: true, results }, null, 2)}\n`);
  process.stdout.write(`\n| scenario (${N.toLocaleString("en")} seeded, commit ${commit}) | p50 | p95 | p99 |\n|---|---:|---:|---:|\n`);
  for (const r of results) process.stdout.write(`| ${r.name} | ${r.stats.p50} | ${r.stats.p95} | ${r.stats.p99} |\n`);
  log(`wrote ${OUT}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
