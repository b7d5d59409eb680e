// The results: a table on stdout (metric, Berth, Distribution, the sink, ratio, the shares of the
// sink's ceiling, target, result) and the same as JSON, with every round's values and every
// failure's message.
import { cpus, freemem, hostname, release, totalmem } from "node:os";
import type { TargetName } from "./targets.js";
import type { Metric } from "./workloads/common.js";

export interface RoundValue {
  round: number;
  value?: number;
  error?: string;
}

export interface Series {
  rounds: RoundValue[];
  /** The median of the rounds' values (or the maximum, for peaks); undefined when none succeeded. */
  summary?: number;
  /** Some round failed (or the target was unavailable). */
  failed: boolean;
}

export type RowStatus = "met" | "missed" | "failed" | "info";

export interface Row {
  metric: Metric & { summary?: "median" | "max"; berthMax?: number };
  berth: Series;
  distribution: Series;
  /** The sink (the ceiling), for the workloads it runs; absent when it did not run this workload. */
  sink?: Series;
  /** Oriented so that > 1 is Berth better: Berth/Distribution, or Distribution/Berth when lower is better. */
  ratio?: number;
  /** Berth's share of the sink's figure (Berth/sink; sink/Berth when lower is better). */
  berthToSink?: number;
  /** Distribution's share of the sink's figure, oriented the same way. */
  distributionToSink?: number;
  target?: string;
  status: RowStatus;
}

function median(values: number[]): number | undefined {
  if (!values.length) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1]! + s[mid]!) / 2;
}

export function series(rounds: RoundValue[], summary: "median" | "max" = "median"): Series {
  const values = rounds.map((r) => r.value).filter((v): v is number => v !== undefined);
  const failed = rounds.length === 0 || rounds.some((r) => r.error !== undefined);
  const s = summary === "max" ? (values.length ? Math.max(...values) : undefined) : median(values);
  return { rounds, failed, ...(s !== undefined ? { summary: s } : {}) };
}

/** `a` over `b`, oriented so that > 1 means `a` is better; undefined unless both are there. */
function oriented(metric: Metric, a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || !(a > 0) || !(b > 0)) return undefined;
  return metric.higherIsBetter ? a / b : b / a;
}

export function makeRow(metric: Row["metric"], berth: Series, distribution: Series, sink?: Series): Row {
  const row: Row = { metric, berth, distribution, ...(sink && { sink }), status: "info" };
  const b = berth.summary;
  const d = distribution.summary;
  const ratio = oriented(metric, b, d);
  if (ratio !== undefined) row.ratio = ratio;
  if (sink) {
    const bs = oriented(metric, b, sink.summary);
    const ds = oriented(metric, d, sink.summary);
    if (bs !== undefined) row.berthToSink = bs;
    if (ds !== undefined) row.distributionToSink = ds;
  }
  if (metric.target !== undefined) row.target = `≥ ${metric.target}×`;
  if (metric.berthMax !== undefined) row.target = `Berth ≤ ${metric.berthMax} ${metric.unit}`;
  const judged = metric.target !== undefined || metric.berthMax !== undefined;
  if (berth.failed || (distribution.failed && metric.target !== undefined)) row.status = judged ? "failed" : "info";
  else if (metric.berthMax !== undefined) row.status = b !== undefined && b <= metric.berthMax ? "met" : "missed";
  else if (metric.target !== undefined) row.status = row.ratio !== undefined && row.ratio >= metric.target ? "met" : "missed";
  return row;
}

function fmt(v: number | undefined, decimals = 1): string {
  return v === undefined ? "—" : v.toFixed(decimals);
}

function cell(s: Series | undefined, decimals: number | undefined): string {
  if (s === undefined) return "—";
  if (s.summary === undefined) return "FAILED";
  return `${fmt(s.summary, decimals)}${s.failed ? " (!)" : ""}`;
}

function pad(text: string, width: number, right = false): string {
  const n = [...text].length;
  return n >= width ? text : right ? " ".repeat(width - n) + text : text + " ".repeat(width - n);
}

const times = (v: number | undefined) => (v === undefined ? "—" : `${v.toFixed(2)}×`);

/** The table; the sink's columns only when the sink ran (BERTH_BENCH_SINK=0 leaves them out). */
export function renderTable(rows: Row[]): string {
  const withSink = rows.some((r) => r.sink !== undefined);
  const header = ["metric", "Berth", "Distribution", ...(withSink ? ["sink"] : []), "ratio", ...(withSink ? ["Berth÷sink", "Distr.÷sink"] : []), "target", "result"];
  const numeric = withSink ? 7 : 4;
  const lines = rows.map((r) => [
    r.metric.label,
    cell(r.berth, r.metric.decimals),
    cell(r.distribution, r.metric.decimals),
    ...(withSink ? [cell(r.sink, r.metric.decimals)] : []),
    times(r.ratio),
    ...(withSink ? [times(r.berthToSink), times(r.distributionToSink)] : []),
    r.target ?? "—",
    r.status,
  ]);
  const widths = header.map((h, i) => Math.max([...h].length, ...lines.map((l) => [...l[i]!].length)));
  const out = [header, widths.map((w) => "-".repeat(w)), ...lines].map((cols) =>
    cols.map((c, i) => pad(c, widths[i]!, i >= 1 && i < numeric)).join("  "),
  );
  return out.join("\n");
}

export function renderRounds(rows: Row[]): string {
  const out: string[] = [];
  const show = (s: Series, decimals: number | undefined) =>
    s.rounds.map((r) => (r.error !== undefined ? "failed" : fmt(r.value, decimals))).join(", ") || "—";
  for (const r of rows) {
    out.push(`${r.metric.label}`);
    out.push(`    Berth:        ${show(r.berth, r.metric.decimals)}`);
    out.push(`    Distribution: ${show(r.distribution, r.metric.decimals)}`);
    if (r.sink) out.push(`    sink:         ${show(r.sink, r.metric.decimals)}`);
  }
  return out.join("\n");
}

export function renderFailures(rows: Row[]): string {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    const all: [string, Series][] = [["Berth", r.berth], ["Distribution", r.distribution], ...(r.sink ? [["sink", r.sink] as [string, Series]] : [])];
    for (const [name, s] of all) {
      for (const round of s.rounds) {
        // A target that could not be measured at all is said once, below the table.
        if (round.error === undefined || round.error.startsWith("unavailable:")) continue;
        const key = `${name}|${r.metric.label.split(" (")[0]}|${round.error}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(`  ${name}, ${r.metric.label}, round ${round.round}: ${round.error}`);
      }
    }
  }
  return out.join("\n");
}

export function machineNote(): Record<string, unknown> {
  const cpu = cpus();
  return {
    hostname: hostname(),
    cpus: cpu.length,
    cpuModel: cpu[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    freeMemoryGiB: Math.round(freemem() / 2 ** 30),
    kernel: release(),
    node: process.version,
  };
}

export interface Report {
  date: string;
  durationSeconds: number;
  machine: Record<string, unknown>;
  settings: Record<string, unknown>;
  targets: Partial<Record<TargetName, { baseUrl: string; unavailable?: string; registryVmHWMMiB?: number; notes: string }>>;
  rows: Row[];
  /** Scanning measurements (Berth only), or why they failed. */
  scanning?: unknown;
}
