// What `npm run bench:scale` reports: JSON (everything) and Markdown (the tables that go into
// docs/performance.md between the `bench:scale` markers when BERTH_SCALE_RECORD=1).
import type { GcResult } from "./gc-bench.js";
import type { LatencyStats } from "./latency.js";
import type { PullsResult } from "./pulls.js";
import type { PushResult } from "./push.js";

export interface ScaleReport {
  date: string;
  commit: string;
  baselineCommit: string | undefined;
  machine: Record<string, unknown>;
  settings: Record<string, unknown>;
  loads: { at: string; phase: string; load: number[] }[];
  push: (PushResult & { target: string })[];
  scenarios: { name: string; targetMs: number; results: Record<string, LatencyStats | { error: string }> }[];
  pulls?: Record<string, PullsResult>;
  gc?: (GcResult & { target: string })[];
  registryMetrics?: string[];
  durationSeconds?: number;
}

const START = "<!-- bench:scale:start -->";
const END = "<!-- bench:scale:end -->";

function cell(r: LatencyStats | { error: string } | undefined): string {
  if (r === undefined) return "—";
  if ("error" in r) return `failed: ${r.error.slice(0, 80)}`;
  return `${r.p50} / ${r.p95} / **${r.p99}**`;
}

export function renderScaleMarkdown(r: ScaleReport): string {
  const baseline = r.baselineCommit !== undefined;
  const out: string[] = [];
  const m = r.machine as { cpus?: number; cpuModel?: string; memoryGiB?: number; kernel?: string; node?: string };
  out.push(
    `_Run ${r.date.slice(0, 16).replace("T", " ")} UTC, commit ${r.commit}${baseline ? ` (baseline: ${r.baselineCommit}, same run, same dataset)` : ""}; ` +
      `${m.cpus} cores (${m.cpuModel}), ${m.memoryGiB} GiB, kernel ${m.kernel}, Node ${m.node}; took ${r.durationSeconds ?? "?"} s. ` +
      `Load averages (1/5/15 min) by phase: ${r.loads.map((l) => `${l.phase} ${l.load.join("/")}`).join("; ")}._`,
    "",
  );
  out.push("**Pushes** (1 KiB layer + config + manifest per artifact, through nginx, token auth):", "");
  out.push("| target | shape | artifacts | pushers | seconds | artifacts/s | retried | failed |", "|---|---|---:|---:|---:|---:|---:|---:|");
  for (const p of r.push) out.push(`| ${p.target} | ${p.shape} | ${p.artifacts} | ${p.pushers} | ${p.seconds} | ${p.perSecond} | ${p.retried} | ${p.errors.length} |`);
  out.push("");
  const sinkRuns = r.push.filter((p) => p.target === "sink");
  if (sinkRuns.length > 0) {
    out.push("**Berth's push rate as a share of the sink's** (the same pushers and requests into a Node server behind the same nginx template that only hashes and discards):", "");
    out.push("| shape | Berth artifacts/s | sink artifacts/s | Berth ÷ sink |", "|---|---:|---:|---:|");
    for (const s of sinkRuns) {
      const b = r.push.find((p) => p.target === "berth" && p.shape === s.shape);
      const share = b && s.perSecond > 0 ? `${((b.perSecond / s.perSecond) * 100).toFixed(0)} %` : "—";
      out.push(`| ${s.shape} | ${b?.perSecond ?? "—"} | ${s.perSecond} | ${share} |`);
    }
    out.push("");
  }
  out.push(
    `**Read path** (${r.settings["requests"]} requests per scenario, ${r.settings["concurrency"]} in flight, keep-alive, Basic auth on the API, bearer tokens on /v2/; ms p50 / p95 / **p99**):`,
    "",
  );
  out.push(`| scenario | target p99 | Berth | ${baseline ? "baseline | " : ""}met |`, `|---|---:|---|${baseline ? "---|" : ""}---|`);
  for (const s of r.scenarios) {
    const b = s.results["berth"];
    const met = b !== undefined && "p99" in b ? (s.targetMs === 0 ? "—" : b.p99 < s.targetMs ? "yes" : "**no**") : "failed";
    out.push(`| ${s.name} | ${s.targetMs === 0 ? "—" : `< ${s.targetMs}`} | ${cell(b)} | ${baseline ? `${cell(s.results["baseline"])} | ` : ""}${met} |`);
  }
  out.push("");
  if (r.pulls) {
    out.push("**Concurrent pulls of one image** (token, manifest, config, layer; all started at once):", "");
    out.push("| target | pulls | succeeded | seconds | pull p50 / p99 (ms) | registry RSS before → peak (MiB) | errors |", "|---|---:|---:|---:|---|---|---|");
    for (const [t, p] of Object.entries(r.pulls)) {
      out.push(`| ${t} | ${p.pulls} | ${p.succeeded} | ${p.seconds} | ${p.latency ? `${p.latency.p50} / ${p.latency.p99}` : "—"} | ${p.registryRssBeforeMiB} → ${p.registryRssPeakMiB} | ${p.errors.join("; ").slice(0, 120) || "none"} |`);
    }
    out.push("");
  }
  if (r.gc?.length) {
    out.push("**Garbage collection of orphan blobs**:", "");
    out.push("| target | storage | orphans | deleted | seconds | deletes/s | steps (s) |", "|---|---|---:|---:|---:|---:|---|");
    for (const g of r.gc) {
      const steps = Object.entries(g.steps ?? {}).map(([k, v]) => `${k.replace("step ", "")}: ${v}`).join(", ") || "—";
      out.push(`| ${g.target} | ${g.storage} | ${g.orphans} | ${g.deleted} | ${g.seconds} | ${g.deletesPerSecond} | ${steps} |`);
    }
    out.push("");
  }
  return `${out.join("\n")}\n`;
}

/** `docs` with the text between the bench:scale markers replaced by `markdown` (markers appended when missing). */
export function recordInDocs(docs: string, markdown: string): string {
  const block = `${START}\n${markdown}${END}`;
  const start = docs.indexOf(START);
  const end = docs.indexOf(END);
  if (start >= 0 && end > start) return docs.slice(0, start) + block + docs.slice(end + END.length);
  return `${docs.trimEnd()}\n\n${block}\n`;
}
