// Summaries of V8 CPU profiles (`.cpuprofile`, as node:inspector's Profiler writes them): wall
// time, the share the main thread was idle, and self time per function and per package, as
// docs/performance.md reports them ("Where the time goes").
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Share {
  name: string;
  ms: number;
  /** Of the busy (not idle) time. */
  percent: number;
}

export interface ProfileSummary {
  wallMs: number;
  idleMs: number;
  busyMs: number;
  idlePercent: number;
  functions: Share[];
  packages: Share[];
}

/** Where a frame's code lives: a package, a part of this repository, node itself, or a special V8 node. */
export function packageOf(url: string, functionName: string): string {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native code)";
  if (url.startsWith("node:")) {
    const parts = url.slice(5).split("/");
    return `node:${parts[0] === "internal" && parts.length > 2 ? parts[1] : parts[0] === "internal" ? (parts[1] ?? "internal") : parts[0]}`;
  }
  const nm = url.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "/node_modules/".length).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const own = /\/(services|packages|deploy|e2e)\/([^/]+)\//.exec(url);
  if (own) return `${own[1]}/${own[2]}`;
  return url;
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf("/node_modules/");
  if (nm >= 0) return url.slice(nm + "/node_modules/".length);
  const own = /\/((?:services|packages|deploy|e2e)\/.*)$/.exec(url);
  return own ? own[1]! : url;
}

function top(map: Map<string, number>, busyMs: number, n: number): Share[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, ms]) => ({ name, ms: Math.round(ms), percent: busyMs > 0 ? Math.round((ms / busyMs) * 1000) / 10 : 0 }));
}

/** Self time per function and per package; "idle" is V8's `(idle)` node (the event loop waiting). */
export function summarizeProfile(profile: CpuProfile, topN = 12): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Native code (`writev`, `run`, …) says little alone: name it with its nearest JavaScript caller.
  const callerOf = (id: number): string => {
    for (let p = parent.get(id), hops = 0; p !== undefined && hops < 30; p = parent.get(p), hops++) {
      const f = byId.get(p)!.callFrame;
      if (f.url !== "") return `${f.functionName || "(anonymous)"} ${shortUrl(f.url)}`;
    }
    return "?";
  };
  const self = new Map<number, number>();
  // timeDeltas[i] is the time before sample i: the time of sample i is the next delta.
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + dt);
  }
  let idleMs = 0;
  let totalMs = 0;
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  for (const [id, ms] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    totalMs += ms;
    if (functionName === "(idle)") {
      idleMs += ms;
      continue;
    }
    const fn =
      url !== "" ? `${functionName || "(anonymous)"} ${shortUrl(url)}:${lineNumber + 1}` : functionName.startsWith("(") ? functionName : `${functionName || "(anonymous)"} ← ${callerOf(id)}`;
    functions.set(fn, (functions.get(fn) ?? 0) + ms);
    const pkg = packageOf(url, functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + ms);
  }
  const wallMs = (profile.endTime - profile.startTime) / 1000;
  const busyMs = totalMs - idleMs;
  return {
    wallMs: Math.round(wallMs),
    idleMs: Math.round(idleMs),
    busyMs: Math.round(busyMs),
    idlePercent: totalMs > 0 ? Math.round((idleMs / totalMs) * 1000) / 10 : 0,
    functions: top(functions, busyMs, topN),
    packages: top(packages, busyMs, topN),
  };
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
}
