// Bad input everywhere: every route of core's app (read from its router, so a new route without a
// row here fails) gets garbage — wrong types, missing fields, arrays for objects, huge and negative
// pages, unknown sort keys, q= with quotes and operators, names with path separators or 300
// characters, 10 MB bodies, non-JSON bodies, hostile path segments, and text PostgreSQL cannot
// store (NUL, lone surrogates) in paths, queries and bodies. Each must answer a 4xx in
// Harbor's shape with a readable message — never a 2xx, never a 500 — and leave the database
// exactly as it was (checked table by table).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import type { Express } from "express";
import { parseManifestReference } from "@berth/oci";
import { adminAuth, call, createUser, startTestCore, type TestCore } from "./test-support.js";

const enabled = Boolean(process.env["BERTH_TEST_PG_URL"]);
const LONG = "a".repeat(300);

/** What a route accepts; every field drives generated probes. */
interface Row {
  /** Path parameters of a valid request (the path probes replace one at a time). */
  params?: Record<string, string>;
  /** A valid JSON body: each field in turn gets a value of the wrong type; also arrays, scalars, 10 MB. */
  body?: Record<string, unknown>;
  /** Some body field is required: `{}` is refused. */
  required?: boolean;
  /** Body fields holding names: 300 characters; for "path", also path separators and spaces; for "lowercase", also upper case. */
  names?: Record<string, "long" | "path" | "lowercase">;
  /** Paging (`page`, `page_size`), `sort` and `q` probes. */
  list?: { sort?: boolean; q?: boolean };
  /** Extra query strings, each of which must be refused. */
  queries?: string[];
  /** Why the route has no input to garble (health, ping, …). */
  none?: string;
}

const BAD_SEGMENTS = ["a%00b", LONG, "..%2F..%2Fetc", "%2e%2e", "a%2F..%2Fb", "-1", "0", "99999999999999999999999", "1e3", "%27%22%3C%3E", "%25zz", "%20"];
const PAGE_PROBES = ["page=-1", "page=0", "page=abc", "page=1.5", "page_size=0", "page_size=-5", "page_size=101", "page_size=100000", "page=99999999999", "page=1&page=2"];
const SORT_PROBES = ["sort=bogus", "sort=-password_hash", "sort=__proto__", "sort=name,name", `sort=${"x,".repeat(200)}`];
const Q_PROBES = ['q=name%3D%22open', "q=name%3Db)", "q=name%3D%5B1~2~3%5D", "q=%27", "q=bogus%3D1", "q=name%3D~%22x%2Cy", "q=%3D%3D%3D", `q=${"k%3Dv%2C".repeat(400)}`];

const wrongType = (v: unknown): unknown[] =>
  typeof v === "string" ? [12345, true, ["x"], { x: 1 }] : typeof v === "number" ? ["12", true, [1], 1.5, 1e300] : typeof v === "boolean" ? ["true", 1, [true]] : Array.isArray(v) ? [{}, "x", [null]] : ["x", [v], 7];

const permission = (project: string) => [{ kind: "project", namespace: project, access: [{ resource: "repository", action: "pull" }] }];
const policy = { name: "p2", targets: [{ type: "http", address: "http://127.0.0.1:9/hook" }], event_types: ["PUSH_ARTIFACT"] };
const gc = { schedule: { type: "None" }, parameters: { workers: 1 } };
const scanner = { name: "other", description: "d", url: "http://127.0.0.1:9/", auth: "Bearer", access_credential: "k", skip_certVerify: false, use_internal_addr: false, disabled: false };
const endpoint = { name: "remote", type: "docker-registry", url: "http://127.0.0.1:9", insecure: false, credential: { type: "basic", access_key: "u", access_secret: "s" }, rate_limit: { requests_per_second: 5, max_concurrency: 2 } };
const selectors = {
  tag_selectors: [{ kind: "doublestar", decoration: "matches", pattern: "never-*" }],
  scope_selectors: { repository: [{ kind: "doublestar", decoration: "repoMatches", pattern: "**" }] },
};
const immutableRule = { priority: 0, disabled: false, ...selectors };
const retention = (projectId: number) => ({
  algorithm: "or",
  rules: [{ template: "latestPushedK", params: { latestPushedK: 3 }, ...selectors }],
  trigger: { kind: "Schedule", settings: { cron: "" } },
  scope: { level: "project", ref: projectId },
});
const replication = (registry: string) => ({
  name: "r2",
  src_registry: null,
  dest_registry: { id: Number(registry) },
  dest_namespace: "mirror",
  dest_namespace_replace_count: 1,
  trigger: { type: "scheduled", trigger_settings: { cron: "0 0 * * * *" } },
  filters: [{ type: "name", value: "library/**", decoration: "matches" }],
  replicate_deletion: false,
  override: true,
  enabled: true,
  speed: -1,
  copy_by_chunk: false,
  single_active_replication: false,
});

/** Every route's row; keys are `METHOD path` as express registers them. */
function rows(c: Record<string, string>): Record<string, Row> {
  const project = { project: "seed" };
  const repo = { ...project, repository: "app" };
  const art = { ...repo, reference: "v1" };
  const hook = { ...project, policy: c["policy"]! };
  return {
    "GET /api/v2.0/health": { none: "no input" },
    "GET /api/v2.0/ping": { none: "no input" },
    "GET /api/v2.0/systeminfo": { none: "no input" },
    "GET /c/log_out": { none: "only the session cookie, whose garbage is no session (api.int.test)" },
    "GET /api/internal/auth/sysadmin": { none: "only credentials" },
    "GET /api/v2.0/users/current": { none: "only credentials" },
    "POST /c/login": { queries: [] },
    "GET /service/token": { queries: ["service=wrong", `service=${LONG}`, "service=berth-registry&scope=repository", `service=berth-registry&scope=${"r".repeat(5000)}`, "service=berth-registry&scope=repository:library%2Fx", `service=berth-registry&account=${LONG}`, `service=berth-registry${"&scope=a:b:c".repeat(60)}`] },
    "GET /api/v2.0/system/logs": { queries: ["level=bogus", "since=yesterday", "until=2020-13-01T00:00:00Z", "limit=0", "limit=100000", `q=${"x".repeat(600)}`, `service=${LONG}`] },
    "GET /api/v2.0/users": { list: { sort: true, q: true } },
    "POST /api/v2.0/users": { body: { username: "newuser", password: "Passw0rdX1", email: "n@example.com", realname: "N" }, required: true, names: { username: "long" } },
    "GET /api/v2.0/users/:id": { params: { id: c["user"]! } },
    "PUT /api/v2.0/users/:id": { params: { id: c["user"]! }, body: { email: "b@example.com", realname: "B", comment: "c" } },
    "DELETE /api/v2.0/users/:id": { params: { id: c["user"]! } },
    "PUT /api/v2.0/users/:id/password": { params: { id: c["user"]! }, body: { old_password: "Passw0rdX", new_password: "Passw0rdY1" }, required: true },
    "PUT /api/v2.0/users/:id/sysadmin": { params: { id: c["user"]! }, body: { sysadmin_flag: true }, required: true },
    "HEAD /api/v2.0/projects": { queries: ["", `project_name=${LONG}`, "project_name=a&project_name=b"] },
    "GET /api/v2.0/projects": { list: { sort: true, q: true }, queries: ["public=maybe", `name=${LONG}`, `owner=${LONG}`, "with_detail=perhaps", "q=public%3Dmaybe"] },
    "POST /api/v2.0/projects": { body: { project_name: "newproject", metadata: { public: "false" }, storage_limit: -1, registry_id: null }, required: true, names: { project_name: "lowercase" } },
    "GET /api/v2.0/projects/:project": { params: project },
    "PUT /api/v2.0/projects/:project": { params: project, body: { metadata: { public: "true" }, storage_limit: 1024 } },
    "DELETE /api/v2.0/projects/:project": { params: project },
    "GET /api/v2.0/projects/:project/summary": { params: project },
    "GET /api/v2.0/projects/:project/members": { params: project, list: {}, queries: [`entityname=${LONG}`] },
    "POST /api/v2.0/projects/:project/members": { params: project, body: { role_id: 2, member_user: { username: "carol" } }, required: true },
    "GET /api/v2.0/projects/:project/members/:mid": { params: { ...project, mid: c["member"]! } },
    "PUT /api/v2.0/projects/:project/members/:mid": { params: { ...project, mid: c["member"]! }, body: { role_id: 3 }, required: true },
    "DELETE /api/v2.0/projects/:project/members/:mid": { params: { ...project, mid: c["member"]! } },
    "POST /api/v2.0/robots": { body: { name: "robot2", level: "project", duration: 30, permissions: permission("seed") }, required: true, names: { name: "lowercase" } },
    "GET /api/v2.0/robots": { list: { sort: true, q: true }, queries: ["q=Level%3Dplanet", "q=ProjectID%3D~1"] },
    "GET /api/v2.0/robots/:id": { params: { id: c["robot"]! } },
    "PUT /api/v2.0/robots/:id": { params: { id: c["robot"]! }, body: { description: "d", disable: false, duration: 10, permissions: permission("seed") } },
    "PATCH /api/v2.0/robots/:id": { params: { id: c["robot"]! }, body: { secret: "Passw0rdZ9" } },
    "DELETE /api/v2.0/robots/:id": { params: { id: c["robot"]! } },
    "GET /api/v2.0/audit-logs": { list: { sort: true, q: true }, queries: ["q=op_time%3D%5B0000-01-01~2020-01-01%5D", "q=op_time%3D%5B2021-01-01~2020-01-01%5D", "q=op_time%3Dtoday"] },
    "GET /api/v2.0/projects/:project/logs": { params: project, list: { sort: true, q: true }, queries: ["q=op_time%3D%5B0000-01-01~2020-01-01%5D"] },
    "GET /api/v2.0/projects/:project/repositories": { params: project, list: { sort: true, q: true } },
    "GET /api/v2.0/projects/:project/repositories/:repository": { params: repo },
    "DELETE /api/v2.0/projects/:project/repositories/:repository": { params: repo },
    "GET /api/v2.0/projects/:project/repositories/:repository/artifacts": { params: repo, list: { sort: true, q: true }, queries: ["with_tag=maybe", "q=tags%3D(a%20b)", "with_label=maybe", "q=labels%3D(abc)", "q=labels%3D~1", "q=labels%3D(0)"] },
    "POST /api/v2.0/projects/:project/repositories/:repository/artifacts": { params: repo, queries: ["", "from=x", `from=${LONG}`, "from=seed%2Fapp", "from=..%2F..%3Av1", "from=seed%2Fapp%40sha256%3Azz"] },
    "GET /api/v2.0/projects/:project/repositories/:repository/artifacts/:reference": { params: art, queries: ["with_tag=maybe"] },
    "DELETE /api/v2.0/projects/:project/repositories/:repository/artifacts/:reference": { params: art },
    "GET /api/v2.0/projects/:project/repositories/:repository/artifacts/:reference/tags": { params: art, list: {} },
    "POST /api/v2.0/projects/:project/repositories/:repository/artifacts/:reference/tags": { params: art, body: { name: "v2" }, required: true, names: { name: "path" } },
    "DELETE /api/v2.0/projects/:project/repositories/:repository/artifacts/:reference/tags/:tag": { params: { ...art, tag: "v1" } },
    "GET /api/v2.0/quotas": { list: { sort: true }, queries: ["reference=repository", `reference_id=${LONG}`] },
    "GET /api/v2.0/quotas/:id": { params: { id: c["project"]! } },
    "PUT /api/v2.0/quotas/:id": { params: { id: c["project"]! }, body: { hard: { storage: 1024 } }, required: true },
    "POST /api/v2.0/webhook-callbacks/:token": { params: { token: "unknown-token" }, body: { state: "success", description: "d" }, required: true },
    "GET /api/v2.0/projects/:project/webhook/policies": { params: project, list: { sort: true, q: true } },
    "POST /api/v2.0/projects/:project/webhook/policies": { params: project, body: policy, required: true, names: { name: "long" } },
    "GET /api/v2.0/projects/:project/webhook/policies/:policy": { params: hook },
    "PUT /api/v2.0/projects/:project/webhook/policies/:policy": { params: hook, body: policy, required: true, names: { name: "long" } },
    "DELETE /api/v2.0/projects/:project/webhook/policies/:policy": { params: hook },
    "GET /api/v2.0/projects/:project/webhook/policies/:policy/executions": { params: hook, list: {} },
    "GET /api/v2.0/projects/:project/webhook/policies/:policy/executions/:execution/tasks": { params: { ...hook, execution: c["execution"]! }, list: {} },
    "GET /api/v2.0/projects/:project/webhook/policies/:policy/executions/:execution/tasks/:task/log": { params: { ...hook, execution: c["execution"]!, task: c["task"]! } },
    "GET /api/v2.0/projects/:project/webhook/events": { params: project },
    "GET /api/v2.0/system/gc": { list: {} },
    "GET /api/v2.0/system/gc/schedule": { none: "no input" },
    "POST /api/v2.0/system/gc/schedule": { body: gc, required: true },
    "PUT /api/v2.0/system/gc/schedule": { body: gc, required: true },
    "GET /api/v2.0/system/gc/:gc_id": { params: { gc_id: c["gc"]! } },
    "GET /api/v2.0/system/gc/:gc_id/log": { params: { gc_id: c["gc"]! } },
    "GET /api/v2.0/scanners": { list: {} },
    "POST /api/v2.0/scanners": { body: scanner, required: true, names: { name: "long" } },
    "POST /api/v2.0/scanners/ping": { body: scanner, required: true },
    "GET /api/v2.0/scanners/:id": { params: { id: c["scanner"]! } },
    "PUT /api/v2.0/scanners/:id": { params: { id: c["scanner"]! }, body: scanner, required: true, names: { name: "long" } },
    "PATCH /api/v2.0/scanners/:id": { params: { id: c["scanner"]! }, body: { is_default: true }, required: true },
    "DELETE /api/v2.0/scanners/:id": { params: { id: c["scanner"]! } },
    "GET /api/v2.0/scanners/:id/metadata": { params: { id: c["scanner"]! } },
    "POST /api/v2.0/projects/:project/repositories/:repository/artifacts/:reference/scan": { params: art, body: { scan_type: "vulnerability" } },
    "POST /api/v2.0/projects/:project/repositories/:repository/artifacts/:reference/scan/stop": { params: art },
    "GET /api/v2.0/projects/:project/repositories/:repository/artifacts/:reference/scan/:report_id/log": { params: { ...art, report_id: "5f0c4c5e-0000-4000-8000-000000000000" } },
    "GET /api/v2.0/projects/:project/repositories/:repository/artifacts/:reference/additions/vulnerabilities": { params: art },
    "GET /api/v2.0/projects/:project/repositories/:repository/artifacts/:reference/accessories": { params: art, list: { sort: true, q: true }, queries: ["q=type%3Dbogus", "q=type%3D~sig"] },
    "GET /api/v2.0/projects/:project/repositories/:repository/artifacts/:reference/additions/sbom": { params: art },
    "GET /api/v2.0/system/scanAll/schedule": { none: "no input" },
    "POST /api/v2.0/system/scanAll/schedule": { body: { schedule: { type: "None" } }, required: true },
    "PUT /api/v2.0/system/scanAll/schedule": { body: { schedule: { type: "None" } }, required: true },
    "POST /api/v2.0/system/scanAll/stop": { none: "no input (404 until a scan-all ran)" },
    "GET /api/v2.0/scans/all/metrics": { none: "no input" },
    "GET /api/v2.0/scans/schedule/metrics": { none: "no input" },
    "GET /api/v2.0/system/CVEAllowlist": { none: "no input" },
    "PUT /api/v2.0/system/CVEAllowlist": { body: { items: [{ cve_id: "CVE-2024-0001" }], expires_at: 4_102_444_800 } },
    "GET /c/oidc/login": { none: "no input (412 while the mode is not oidc_auth)" },
    "GET /c/oidc/callback": { queries: ["", "code=x&state=y", "error=access_denied", `code=${LONG}`] },
    "POST /c/oidc/onboard": { body: { username: "newuser" }, required: true, names: { username: "long" } },
    "PUT /api/v2.0/users/:id/cli_secret": { params: { id: c["user"]! }, body: { secret: "Passw0rdX1" } },
    "GET /api/v2.0/configurations": { none: "no input" },
    "PUT /api/v2.0/configurations": { body: { ldap_url: "ldap://127.0.0.1:9", ldap_timeout: 5, ldap_verify_cert: true, auth_mode: "db_auth" }, queries: [] },
    "POST /api/v2.0/ldap/ping": { body: { ldap_url: "ldap://127.0.0.1:9", ldap_scope: 2 } },
    "GET /api/v2.0/ldap/users/search": { queries: [`username=${LONG}`, "username=a&username=b"] },
    "POST /api/v2.0/ldap/users/import": { body: { ldap_uid_list: ["alice"] }, required: true },
    "GET /api/v2.0/ldap/groups/search": { queries: [`groupname=${LONG}`, `groupdn=${"x".repeat(1100)}`] },
    "GET /api/v2.0/usergroups": { list: {}, queries: [`group_name=${LONG}`] },
    "POST /api/v2.0/usergroups": { body: { group_name: "newgroup", group_type: 3 }, required: true, names: { group_name: "long" } },
    "GET /api/v2.0/usergroups/search": { list: {}, queries: ["", `groupname=${LONG}`] },
    "GET /api/v2.0/usergroups/:id": { params: { id: c["group"]! } },
    "PUT /api/v2.0/usergroups/:id": { params: { id: c["group"]! }, body: { group_name: "renamed" }, required: true, names: { group_name: "long" } },
    "DELETE /api/v2.0/usergroups/:id": { params: { id: c["group"]! } },
    "GET /api/v2.0/registries": { list: { sort: true, q: true }, queries: [`name=${LONG}`] },
    "POST /api/v2.0/registries": { body: endpoint, required: true, names: { name: "long" }, queries: [] },
    "POST /api/v2.0/registries/ping": { body: { id: Number(c["registry"]), url: "http://127.0.0.1:9", access_key: "u", access_secret: "s", insecure: false }, queries: [] },
    "GET /api/v2.0/registries/:id": { params: { id: c["registry"]! } },
    "PUT /api/v2.0/registries/:id": { params: { id: c["registry"]! }, body: { name: "renamed", description: "d", url: "http://127.0.0.1:9", access_key: "k", access_secret: "s", insecure: false }, names: { name: "long" } },
    "DELETE /api/v2.0/registries/:id": { params: { id: c["registry"]! } },
    "GET /api/v2.0/registries/:id/info": { params: { id: c["registry"]! } },
    "GET /api/v2.0/replication/adapters": { none: "no input" },
    "GET /api/v2.0/replication/adapterinfos": { none: "no input" },
    "GET /api/v2.0/replication/policies": { list: { sort: true, q: true }, queries: [`name=${LONG}`] },
    "POST /api/v2.0/replication/policies": { body: replication(c["registry"]!), required: true, names: { name: "long" } },
    "GET /api/v2.0/replication/policies/:id": { params: { id: c["replication"]! } },
    "PUT /api/v2.0/replication/policies/:id": { params: { id: c["replication"]! }, body: replication(c["registry"]!), required: true, names: { name: "long" } },
    "DELETE /api/v2.0/replication/policies/:id": { params: { id: c["replication"]! } },
    "GET /api/v2.0/replication/executions": { list: {}, queries: ["policy_id=abc", "policy_id=-1", "status=Bogus", "trigger=sometimes"] },
    "POST /api/v2.0/replication/executions": { body: { policy_id: Number(c["replication"]) }, required: true },
    "GET /api/v2.0/replication/executions/:id": { params: { id: c["replicationExecution"]! } },
    "PUT /api/v2.0/replication/executions/:id": { params: { id: c["replicationExecution"]! } },
    "GET /api/v2.0/replication/executions/:id/tasks": { params: { id: c["replicationExecution"]! }, list: {}, queries: ["status=Bogus"] },
    "GET /api/v2.0/replication/executions/:id/tasks/:task_id/log": { params: { id: c["replicationExecution"]!, task_id: c["replicationTask"]! } },
    "GET /api/v2.0/projects/:project/immutabletagrules": { params: project, list: {} },
    "POST /api/v2.0/projects/:project/immutabletagrules": { params: project, body: immutableRule, required: true },
    "PUT /api/v2.0/projects/:project/immutabletagrules/:id": { params: { ...project, id: c["immutableRule"]! }, body: immutableRule, required: true },
    "DELETE /api/v2.0/projects/:project/immutabletagrules/:id": { params: { ...project, id: c["immutableRule"]! } },
    "GET /api/v2.0/labels": { list: { q: true }, queries: ["scope=x", "scope=p", "scope=p&project_id=abc", `name=${LONG}`] },
    "POST /api/v2.0/labels": { body: { name: "newlabel", description: "d", color: "#fff", scope: "g", project_id: 0 }, required: true, names: { name: "long" } },
    "GET /api/v2.0/labels/:id": { params: { id: c["label"]! } },
    "PUT /api/v2.0/labels/:id": { params: { id: c["label"]! }, body: { name: "renamed", description: "d", color: "#000" }, required: true, names: { name: "long" } },
    "DELETE /api/v2.0/labels/:id": { params: { id: c["label"]! } },
    "POST /api/v2.0/projects/:project/repositories/:repository/artifacts/:reference/labels": { params: art, body: { id: Number(c["otherLabel"]) }, required: true },
    "DELETE /api/v2.0/projects/:project/repositories/:repository/artifacts/:reference/labels/:label_id": { params: { ...art, label_id: c["label"]! } },
    "GET /api/v2.0/retentions/metadatas": { none: "no input" },
    "POST /api/v2.0/retentions": { body: retention(Number(c["otherProject"])), required: true },
    "GET /api/v2.0/retentions/:id": { params: { id: c["retention"]! } },
    "PUT /api/v2.0/retentions/:id": { params: { id: c["retention"]! }, body: retention(Number(c["project"])), required: true },
    "DELETE /api/v2.0/retentions/:id": { params: { id: c["retention"]! } },
    // No `required`: {} is a valid start (dry_run defaults to false).
    "POST /api/v2.0/retentions/:id/executions": { params: { id: c["retention"]! }, body: { dry_run: true } },
    "GET /api/v2.0/retentions/:id/executions": { params: { id: c["retention"]! }, list: {} },
    "PATCH /api/v2.0/retentions/:id/executions/:eid": { params: { id: c["retention"]!, eid: c["retentionExecution"]! }, body: { action: "stop" }, required: true },
    "GET /api/v2.0/retentions/:id/executions/:eid/tasks": { params: { id: c["retention"]!, eid: c["retentionExecution"]! }, list: {} },
    "GET /api/v2.0/retentions/:id/executions/:eid/tasks/:tid": { params: { id: c["retention"]!, eid: c["retentionExecution"]!, tid: c["retentionTask"]! } },
  };
}

/** `METHOD path` of every route the app serves under /api, /service and /c. */
function routesOf(app: Express): string[] {
  const out: string[] = [];
  const walk = (stack: { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: unknown[] } }[]) => {
    for (const layer of stack) {
      if (layer.route) for (const m of Object.keys(layer.route.methods)) out.push(`${m.toUpperCase()} ${layer.route.path}`);
      else if (layer.handle?.stack) walk(layer.handle.stack as never);
    }
  };
  walk((app as unknown as { router: { stack: never[] } }).router.stack);
  return out.filter((r) => / \/(api|service|c)\//.test(r));
}

interface Probe {
  what: string;
  path: string;
  body?: Buffer | string;
  contentType?: string;
}

function pathWith(route: string, params: Record<string, string>): string {
  return route.replace(/:(\w+)/g, (_, name: string) => params[name] ?? `:${name}`);
}

function probesFor(route: string, row: Row): Probe[] {
  const [method, pattern] = route.split(" ") as [string, string];
  const params = row.params ?? {};
  const valid = pathWith(pattern, params);
  const json = (what: string, value: unknown): Probe => ({ what, path: valid, body: JSON.stringify(value), contentType: "application/json" });
  const probes: Probe[] = [];
  for (const name of Object.keys(params)) {
    for (const bad of BAD_SEGMENTS) probes.push({ what: `path ${name}=${bad.slice(0, 20)}`, path: pathWith(pattern, { ...params, [name]: bad }), ...(row.body && { body: JSON.stringify(row.body), contentType: "application/json" }) });
  }
  // NUL, which PostgreSQL cannot store, in any query parameter, known or not.
  const queries = ["x=%00", "q=name%3D%00", ...(row.queries ?? []), ...(row.list ? PAGE_PROBES : []), ...(row.list?.sort ? SORT_PROBES : []), ...(row.list?.q ? Q_PROBES : [])];
  for (const q of queries) probes.push({ what: `query ${q.slice(0, 40)}`, path: `${valid}?${q}`, ...(row.body && { body: JSON.stringify(row.body), contentType: "application/json" }) });
  if (route === "POST /c/login") {
    const form = (what: string, body: string, contentType = "application/x-www-form-urlencoded"): Probe => ({ what, path: valid, body, contentType });
    probes.push(form("empty form", ""), form("no password", "principal=admin"), form("long principal", `principal=${LONG}&password=x`), form("principal twice", "principal=a&principal=b&password=x"));
    probes.push(form("20 KiB form", `principal=a&password=${"x".repeat(20_000)}`), json("JSON wrong types", { principal: 1, password: [] }), form("text body", "principal=admin", "text/plain"));
  }
  if (row.body && method !== "GET") {
    for (const scalar of [[], [row.body], "text", 42, null, true]) probes.push(json(`body ${JSON.stringify(scalar).slice(0, 20)}`, scalar));
    probes.push({ what: "malformed JSON", path: valid, body: '{"a":', contentType: "application/json" });
    probes.push({ what: "JSON as text/plain", path: valid, body: JSON.stringify(row.body), contentType: "text/plain" });
    probes.push({ what: "form instead of JSON", path: valid, body: "a=1", contentType: "application/x-www-form-urlencoded" });
    probes.push({ what: "10 MB body", path: valid, body: JSON.stringify({ ...row.body, padding: "x".repeat(10 * 1024 * 1024) }), contentType: "application/json" });
    if (row.required) probes.push(json("missing fields {}", {}));
    for (const [key, value] of Object.entries(row.body)) for (const wrong of wrongType(value)) probes.push(json(`${key}: ${JSON.stringify(wrong)}`, { ...row.body, [key]: wrong }));
    for (const [key, value] of Object.entries(row.body)) if (typeof value === "string") probes.push(json(`${key} with NUL`, { ...row.body, [key]: `${value}\u0000x` }));
    probes.push({ what: "lone surrogate in JSON", path: valid, body: JSON.stringify(row.body).replace(/"$/, "").replace(/}$/, ',"z":"\\ud800"}'), contentType: "application/json" });
    for (const [key, kind] of Object.entries(row.names ?? {})) {
      probes.push(json(`${key} of 300`, { ...row.body, [key]: LONG }));
      const names = kind === "long" ? [] : ["a/b", "../x", "a\\b", " spaced ", "x\ty", ...(kind === "lowercase" ? ["A-Upper"] : [])];
      for (const name of names) probes.push(json(`${key}=${name}`, { ...row.body, [key]: name }));
    }
  }
  return probes;
}

/**
 * Sends a probe over plain HTTP with the path exactly as written (no URL parsing, which would
 * resolve `%2e%2e` segments); a 413 may answer before the body is sent, which is fine.
 */
function send(base: string, method: string, probe: Probe, headers: Record<string, string>): Promise<{ status: number; body: string; type: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path: probe.path, method, headers: { ...headers, ...(probe.contentType && { "content-type": probe.contentType }), ...(probe.body !== undefined && { "content-length": String(Buffer.byteLength(probe.body)) }) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), type: String(res.headers["content-type"] ?? "") }));
      res.on("error", reject);
    });
    req.on("error", (err: NodeJS.ErrnoException) => (err.code === "EPIPE" || err.code === "ECONNRESET" ? undefined : reject(err)));
    req.end(probe.body);
  });
}

describe("bad input on every route", { skip: !enabled && "needs BERTH_TEST_PG_URL" }, () => {
  let core: TestCore;
  let context: Record<string, string>;

  /** A fingerprint of every table's rows: equal fingerprints mean nothing was written. */
  async function snapshot(): Promise<Record<string, string>> {
    const tables = await core.db.$queryRaw<{ name: string }[]>`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '_prisma_migrations' ORDER BY 1`;
    const out: Record<string, string> = {};
    for (const { name } of tables) {
      const rows = await core.db.$queryRawUnsafe<{ rows: string }[]>(`SELECT coalesce(string_agg(t::text, '|' ORDER BY t::text), '') AS rows FROM "${name}" t`);
      out[name] = createHash("sha256").update(rows[0]!.rows).digest("hex");
    }
    return out;
  }

  before(async () => {
    core = await startTestCore({ redis: "none" });
    const admin = adminAuth();
    const user = await createUser(core.db, "bob", "Passw0rdX");
    await createUser(core.db, "carol", "Passw0rdX");
    assert.equal((await call(core.base, "POST", "/api/v2.0/projects", { headers: admin, body: { project_name: "seed" } })).status, 201);
    const project = (await core.db.project.findUniqueOrThrow({ where: { name: "seed" } })).id;
    await call(core.base, "POST", "/api/v2.0/projects/seed/members", { headers: admin, body: { role_id: 2, member_user: { username: "bob" } } });
    const member = (await core.db.projectMember.findFirstOrThrow({ where: { projectId: project, userId: user } })).id;
    const robot = await call(core.base, "POST", "/api/v2.0/robots", { headers: admin, body: { name: "ci", level: "project", duration: -1, permissions: permission("seed") } });
    assert.equal(robot.status, 201);
    assert.equal((await call(core.base, "POST", "/api/v2.0/projects/seed/webhook/policies", { headers: admin, body: { ...policy, name: "p1" } })).status, 201);
    const policyId = (await core.db.webhookPolicy.findFirstOrThrow({ where: { projectId: project } })).id;
    const execution = await core.db.execution.create({ data: { vendorType: "WEBHOOK", vendorId: policyId } });
    const task = await core.db.task.create({ data: { executionId: execution.id } });
    const run = await core.db.gcRun.create({ data: { status: "Success", trigger: "Manual", dryRun: true, deleteUntagged: false, workers: 1, timeWindowHours: 2 } });
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }));
    const digest = `sha256:${createHash("sha256").update(config).digest("hex")}`;
    await core.registry.uploads.uploadMonolithic("seed/app", digest as never, (async function* () { yield config; })(), config.length);
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { mediaType: "application/vnd.oci.image.config.v1+json", digest, size: config.length }, layers: [] }));
    await core.registry.manifests.put("seed/app", parseManifestReference("v1"), manifest, "application/vnd.oci.image.manifest.v1+json");
    // The upload's usage delta is folded in the background soon after; fold it now, so that
    // write does not land among the probes' (which must write nothing).
    await core.registry.quotas.fold();
    const registered = await call(core.base, "POST", "/api/v2.0/scanners", { headers: admin, body: scanner });
    assert.equal(registered.status, 201);
    const scannerId = (await core.db.scannerRegistration.findFirstOrThrow({ where: { name: "other" } })).uuid;
    const group = await call(core.base, "POST", "/api/v2.0/usergroups", { headers: admin, body: { group_name: "devs", group_type: 3 } });
    assert.equal(group.status, 201);
    assert.equal((await call(core.base, "POST", "/api/v2.0/registries", { headers: admin, body: { ...endpoint, name: "seed-registry" } })).status, 201);
    const registry = (await core.db.registryEndpoint.findFirstOrThrow({ where: { name: "seed-registry" } })).id;
    const created = await call(core.base, "POST", "/api/v2.0/replication/policies", { headers: admin, body: { ...replication(String(registry)), name: "r1" } });
    assert.equal(created.status, 201, JSON.stringify(created.data));
    const replicationPolicy = (await core.db.replicationPolicy.findFirstOrThrow({ where: { name: "r1" } })).id;
    // A finished execution (a running one would make the policy's DELETE a 412 for the wrong reason).
    const replicationExecution = await core.db.execution.create({ data: { vendorType: "REPLICATION", vendorId: replicationPolicy, status: "Success", endTime: new Date() } });
    const replicationTask = await core.db.task.create({ data: { executionId: replicationExecution.id, status: "Success" } });
    // Project policies: a rule, labels (one on the artifact), a retention policy with a finished execution.
    assert.equal((await call(core.base, "POST", "/api/v2.0/projects/seed/immutabletagrules", { headers: admin, body: immutableRule })).status, 201);
    const immutableRuleId = (await core.db.immutableTagRule.findFirstOrThrow({ where: { projectId: project } })).id;
    assert.equal((await call(core.base, "POST", "/api/v2.0/labels", { headers: admin, body: { name: "on-it" } })).status, 201);
    assert.equal((await call(core.base, "POST", "/api/v2.0/labels", { headers: admin, body: { name: "not-on-it" } })).status, 201);
    const label = (await core.db.label.findFirstOrThrow({ where: { name: "on-it" } })).id;
    const otherLabel = (await core.db.label.findFirstOrThrow({ where: { name: "not-on-it" } })).id;
    assert.equal((await call(core.base, "POST", "/api/v2.0/projects/seed/repositories/app/artifacts/v1/labels", { headers: admin, body: { id: label } })).status, 200);
    assert.equal((await call(core.base, "POST", "/api/v2.0/projects", { headers: admin, body: { project_name: "other" } })).status, 201);
    const otherProject = (await core.db.project.findUniqueOrThrow({ where: { name: "other" } })).id;
    assert.equal((await call(core.base, "POST", "/api/v2.0/retentions", { headers: admin, body: retention(project) })).status, 201);
    const retentionId = (await core.db.retentionPolicy.findFirstOrThrow({ where: { projectId: project } })).id;
    const retentionExecution = await core.db.execution.create({ data: { vendorType: "RETENTION", vendorId: retentionId, status: "Success", endTime: new Date() } });
    const retentionTask = await core.db.task.create({ data: { executionId: retentionExecution.id, status: "Success" } });
    context = {
      scanner: scannerId,
      immutableRule: String(immutableRuleId),
      label: String(label),
      otherLabel: String(otherLabel),
      otherProject: String(otherProject),
      retention: String(retentionId),
      retentionExecution: String(retentionExecution.id),
      retentionTask: String(retentionTask.id),
      group: group.headers.get("location")!.split("/").pop()!,
      registry: String(registry),
      replication: String(replicationPolicy),
      replicationExecution: String(replicationExecution.id),
      replicationTask: String(replicationTask.id),
      user: String(user), project: String(project), member: String(member), robot: String(robot.data.id), policy: String(policyId), execution: String(execution.id), task: String(task.id), gc: String(run.id) };
  });
  after(async () => core?.close());

  it("has a row for every route, and no row for a route that does not exist", () => {
    const routes = routesOf(core.app);
    assert.ok(routes.length > 60, `sanity: ${routes.length} routes`);
    const table = rows(context);
    assert.deepEqual(routes.filter((r) => !(r in table)), [], "routes without a bad-input row: add one");
    assert.deepEqual(Object.keys(table).filter((r) => !routes.includes(r)), [], "rows for routes that do not exist");
  });

  it("answers every probe with a Harbor-style 4xx and writes nothing", async (t) => {
    const table = rows(context);
    const failures: string[] = [];
    let count = 0;
    for (const route of routesOf(core.app)) {
      const row = table[route];
      if (!row || row.none) continue;
      const method = route.split(" ")[0]!;
      const before = await snapshot();
      for (const probe of probesFor(route, row)) {
        count++;
        const res = await send(core.base, method, probe, adminAuth());
        const where = `${route} [${probe.what}] → ${res.status}`;
        if (res.status < 400 || res.status >= 500) {
          failures.push(`${where}: ${res.body.slice(0, 200)}`);
          continue;
        }
        if (method === "HEAD") continue;
        let message: unknown;
        try {
          message = (JSON.parse(res.body) as { errors?: { code?: unknown; message?: unknown }[] }).errors?.[0]?.message;
        } catch {
          message = undefined;
        }
        if (!res.type.startsWith("application/json") || typeof message !== "string" || message.length < 5 || message.length > 2000) failures.push(`${where}: not a readable Harbor error: ${res.body.slice(0, 200)}`);
      }
      const after = await snapshot();
      const changed = Object.keys(before).filter((t) => before[t] !== after[t]);
      if (changed.length) failures.push(`${route}: wrote to ${changed.join(", ")}`);
    }
    t.diagnostic(`${count} probes over ${routesOf(core.app).length} routes`);
    assert.ok(count > 700, `sanity: ${count} probes`);
    assert.deepEqual(failures, []);
  });
});
