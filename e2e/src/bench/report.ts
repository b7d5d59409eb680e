// The results: a table on stdout (metric, Berth, Distribution, ratio, target, result) and the
// same as JSON, with every round's values and every failure's message.
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
  /** Oriented so that > 1 is Berth better: Berth/Distribution, or Distribution/Berth when lower is better. */
  ratio?: number;
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

export function makeRow(metric: Row["metric"], berth: Series, distribution: Series): Row {
  const row: Row = { metric, berth, distribution, status: "info" };
  const b = berth.summary;
  const d = distribution.summary;
  if (b !== undefined && d !== undefined && b > 0 && d > 0) row.ratio = metric.higherIsBetter ? b / d : d / b;
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

function cell(s: Series, decimals: number | undefined): string {
  if (s.summary === undefined) return "FAILED";
  return `${fmt(s.summary, decimals)}${s.failed ? " (!)" : ""}`;
}

function pad(text: string, width: number, right = false): string {
  const n = [...text].length;
  return n >= width ? text : right ? " ".repeat(width - n) + text : text + " ".repeat(width - n);
}

export function renderTable(rows: Row[]): string {
  const header = ["metric", "Berth", "Distribution", "ratio", "target", "result"];
  const lines = rows.map((r) => [
    r.metric.label,
    cell(r.berth, r.metric.decimals),
    cell(r.distribution, r.metric.decimals),
    r.ratio === undefined ? "—" : `${r.ratio.toFixed(2)}×`,
    r.target ?? "—",
    r.status,
  ]);
  const widths = header.map((h, i) => Math.max([...h].length, ...lines.map((l) => [...l[i]!].length)));
  const out = [header, widths.map((w) => "-".repeat(w)), ...lines].map((cols) =>
    cols.map((c, i) => pad(c, widths[i]!, i >= 1 && i <= 3)).join("  "),
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
  }
  return out.join("\n");
}

export function renderFailures(rows: Row[]): string {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    for (const [name, s] of [["Berth", r.berth], ["Distribution", r.distribution]] as const) {
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
  targets: Record<TargetName, { baseUrl: string; unavailable?: string; registryVmHWMMiB?: number; notes: string }>;
  rows: Row[];
  /** Scanning measurements (Berth only), or why they failed. */
  scanning?: unknown;
}
