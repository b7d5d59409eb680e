// The read-path scenarios of Harbor's performance suite (container-registry/harbor-performance-
// tests) at scale: lists of projects, repositories, artifacts (with tags), an artifact, the
// project summary, members, audit logs, the catalog and tag lists — first pages, random deep
// pages, a page-by-page walk, and every sort Harbor offers where it has one. Each request checks
// its answer (status, item count, total), not only its time.
import type { Probe } from "./latency.js";
import type { ScaleStack } from "./scale-stack.js";

export interface Scenario {
  name: string;
  /** The issue's p99 target in ms; 0: none (a floor, for reading the others). */
  targetMs: number;
  probe: (i: number) => Probe;
}

export interface Dataset {
  project: string;
  /** Artifacts in `<project>/one`. */
  artifacts: number;
  /** Repositories `<project>/r<i>` (plus `one`). */
  repositories: number;
  /** A repository with a seeded number of tags (the 1M-tag read path), if seeded. */
  seededTags?: { repository: string; tags: number };
}

const PAGE = 100;

/** A deterministic pseudo-random page in 1..pages (the i-th request of a scenario). */
function pageAt(i: number, pages: number): number {
  return 1 + ((i * 7919 + 13) % Math.max(1, pages));
}

function json(body: Buffer): unknown {
  return JSON.parse(body.toString("utf8"));
}

function expectList(expectedTotal: number | undefined, pageSize: number, page: number) {
  return (_status: number, body: Buffer, headers: Record<string, unknown>) => {
    const items = json(body);
    if (!Array.isArray(items)) throw new Error("not a list");
    if (expectedTotal !== undefined) {
      const total = Number(headers["x-total-count"]);
      if (total !== expectedTotal) throw new Error(`X-Total-Count ${total}, expected ${expectedTotal}`);
      const want = Math.max(0, Math.min(pageSize, expectedTotal - (page - 1) * pageSize));
      if (items.length !== want) throw new Error(`page ${page} has ${items.length} items, expected ${want}`);
    }
  };
}

export async function scenarios(stack: ScaleStack, d: Dataset): Promise<Scenario[]> {
  const admin = stack.admin;
  const p = d.project;
  const api = (path: string) => `/api/v2.0${path}`;
  const out: Scenario[] = [];
  const artifactPages = Math.ceil(d.artifacts / PAGE);
  // <project>/one, the r<i> repositories, and the seeded-tags repository when there is one.
  const repoTotal = d.repositories + 1 + (d.seededTags ? 1 : 0);
  const repoPages = Math.ceil(repoTotal / PAGE);
  const artifacts = (page: number, sort?: string) =>
    api(`/projects/${p}/repositories/one/artifacts?with_tag=true&page_size=${PAGE}&page=${page}${sort ? `&sort=${encodeURIComponent(sort)}` : ""}`);

  // The floor: what a request that does (almost) nothing costs through the same front door, at
  // the same concurrency, on the same machine at that moment (targetMs 0: no target of its own).
  const pullToken = await stack.token(`repository:${p}/one:pull`);
  out.push({ name: "floor: GET /v2/ (bearer token verified, no database)", targetMs: 0, probe: () => ({ path: "/v2/", headers: pullToken }) });
  out.push({ name: "floor: GET /api/v2.0/users/current (Basic, one user row)", targetMs: 0, probe: () => ({ path: api("/users/current"), headers: admin }) });
  out.push({ name: "projects list", targetMs: 50, probe: () => ({ path: api("/projects?page=1&page_size=10"), headers: admin }) });
  out.push({ name: "project summary", targetMs: 50, probe: () => ({ path: api(`/projects/${p}/summary`), headers: admin }) });
  out.push({ name: "members list", targetMs: 50, probe: () => ({ path: api(`/projects/${p}/members?page=1&page_size=10`), headers: admin }) });

  out.push({ name: "repositories, page 1", targetMs: 50, probe: () => ({ path: api(`/projects/${p}/repositories?page=1&page_size=${PAGE}`), headers: admin, check: expectList(repoTotal, PAGE, 1) }) });
  for (const sort of [undefined, "name", "-name", "creation_time", "-creation_time", "update_time", "-update_time"]) {
    out.push({
      name: `repositories, random deep page${sort ? `, sort=${sort}` : ""}`,
      targetMs: 50,
      probe: (i) => {
        const page = pageAt(i, repoPages);
        return { path: api(`/projects/${p}/repositories?page=${page}&page_size=${PAGE}${sort ? `&sort=${sort}` : ""}`), headers: admin, check: expectList(repoTotal, PAGE, page) };
      },
    });
  }

  out.push({ name: "artifacts with tags, page 1", targetMs: 100, probe: () => ({ path: artifacts(1), headers: admin, check: expectList(d.artifacts, PAGE, 1) }) });
  out.push({ name: "artifacts with tags, last page", targetMs: 100, probe: () => ({ path: artifacts(artifactPages), headers: admin, check: expectList(d.artifacts, PAGE, artifactPages) }) });
  out.push({
    name: "artifacts with tags, walk page by page",
    targetMs: 100,
    probe: (i) => {
      const page = 1 + (i % artifactPages);
      return { path: artifacts(page), headers: admin, check: expectList(d.artifacts, PAGE, page) };
    },
  });
  for (const sort of [undefined, "push_time", "-push_time", "pull_time", "-pull_time", "size", "-size", "digest", "-digest"]) {
    out.push({
      name: `artifacts with tags, random deep page${sort ? `, sort=${sort}` : ""}`,
      targetMs: 100,
      probe: (i) => {
        const page = pageAt(i, artifactPages);
        return { path: artifacts(page, sort), headers: admin, check: expectList(d.artifacts, PAGE, page) };
      },
    });
  }
  out.push({ name: "artifact by tag (with tags)", targetMs: 100, probe: (i) => ({ path: api(`/projects/${p}/repositories/one/artifacts/t${pageAt(i, d.artifacts) - 1}?with_tag=true`), headers: admin }) });

  const auditTotal = undefined; // grows while events are relayed: checked for shape only
  out.push({ name: "audit logs, page 1", targetMs: 50, probe: () => ({ path: api(`/audit-logs?page=1&page_size=${PAGE}`), headers: admin, check: expectList(auditTotal, PAGE, 1) }) });
  out.push({
    name: "audit logs, random deep page",
    targetMs: 50,
    probe: (i) => ({ path: api(`/audit-logs?page=${pageAt(i, Math.floor((d.artifacts + d.repositories) / PAGE))}&page_size=${PAGE}`), headers: admin, check: expectList(auditTotal, PAGE, 1) }),
  });
  out.push({ name: "project logs, page 1", targetMs: 50, probe: () => ({ path: api(`/projects/${p}/logs?page=1&page_size=${PAGE}`), headers: admin }) });

  // The registry API: tokens fetched beforehand (not timed).
  const catalog = await stack.token("registry:catalog:*");
  const tagsToken = await stack.token(`repository:${p}/one:pull`);
  const names = (body: Buffer, key: string, n: number) => {
    const list = (json(body) as Record<string, unknown>)[key];
    if (!Array.isArray(list) || list.length !== n) throw new Error(`${key}: ${Array.isArray(list) ? list.length : "none"} entries, expected ${n}`);
  };
  const byteOrder = (all: string[]) => all.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const repoNames = byteOrder([`${p}/one`, ...Array.from({ length: d.repositories }, (_, i) => `${p}/r${i}`), ...(d.seededTags ? [d.seededTags.repository] : [])]);
  const tagNames = byteOrder(Array.from({ length: d.artifacts }, (_, i) => `t${i}`));
  // A random deep page's `last` and how many entries follow it in byte order (what the page must
  // hold, up to n) — known from its position, so checking an answer costs the client nothing: a
  // scan of every name per answer stalled the client, and with it the other requests in flight.
  const deep = (i: number, sorted: string[]) => {
    const at = Math.min(sorted.length - 1, pageAt(i, sorted.length) - 1);
    return { last: sorted[at]!, following: sorted.length - 1 - at };
  };
  out.push({ name: "_catalog, first page (n=100)", targetMs: 50, probe: () => ({ path: "/v2/_catalog?n=100", headers: catalog, check: (_s, b) => names(b, "repositories", 100) }) });
  out.push({
    name: "_catalog, random deep page (n=100, last=…)",
    targetMs: 50,
    probe: (i) => {
      const { last, following } = deep(i, repoNames);
      return { path: `/v2/_catalog?n=100&last=${encodeURIComponent(last)}`, headers: catalog, check: (_s, b) => names(b, "repositories", Math.min(100, following)) };
    },
  });
  out.push({ name: "tags/list, first page (n=100)", targetMs: 50, probe: () => ({ path: `/v2/${p}/one/tags/list?n=100`, headers: tagsToken, check: (_s, b) => names(b, "tags", 100) }) });
  out.push({
    name: "tags/list, random deep page (n=100, last=…)",
    targetMs: 50,
    probe: (i) => {
      const { last, following } = deep(i, tagNames);
      return { path: `/v2/${p}/one/tags/list?n=100&last=${last}`, headers: tagsToken, check: (_s, b) => names(b, "tags", Math.min(100, following)) };
    },
  });
  if (d.seededTags) {
    const s = d.seededTags;
    const token = await stack.token(`repository:${s.repository}:pull`);
    out.push({ name: `tags/list with ${s.tags} tags, first page`, targetMs: 50, probe: () => ({ path: `/v2/${s.repository}/tags/list?n=100`, headers: token, check: (_s, b) => names(b, "tags", 100) }) });
    out.push({
      name: `tags/list with ${s.tags} tags, random deep page`,
      targetMs: 50,
      probe: (i) => ({ path: `/v2/${s.repository}/tags/list?n=100&last=${seededTag(pageAt(i, s.tags - 200))}`, headers: token, check: (_s, b) => names(b, "tags", 100) }),
    });
  }
  return out;
}

/** The name of seeded tag `i` (zero-padded: byte order is numeric order). */
export function seededTag(i: number): string {
  return `s${String(i).padStart(8, "0")}`;
}
