/**
 * Harbor's registry endpoints API (system administrators only): `/api/v2.0/registries` (list,
 * create, get, update, delete), `/registries/ping`, `/registries/{id}/info`. Credentials are
 * write-only: a view shows the access key, never the secret. Berth adds `rate_limit`
 * (`requests_per_second`, `max_concurrency`: limits that hold across jobservice replicas).
 */
import { Router } from "express";
import { z } from "zod";
import type { RegistryEndpoint } from "@berth/db";
import { ENDPOINT_TYPES, type EndpointType } from "@berth/replication";
import { requireSysadmin, sysadminOf } from "../auth/guards.js";
import { auditActor } from "../auth/principal.js";
import { onlyKeys, parseHarborQuery, textMatch } from "../http/harbor-query.js";
import { paging, pagingQuery, setPageHeaders } from "../http/paging.js";
import { idParam, parseInput, parseParam } from "../http/parse-input.js";
import { parseSort, sortQuery } from "../http/sorting.js";
import type { EndpointService } from "./endpoint-service.js";
import type { EndpointConnection, EndpointInput, EndpointStore } from "./endpoint-store.js";

const url = z
  .string()
  .max(2048)
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === "http:" || u.protocol === "https:") && !u.username && !u.password && !u.search && !u.hash;
    } catch {
      return false;
    }
  }, "must be an http(s) URL without credentials, query or fragment")
  .transform((v) => v.replace(/\/+$/, ""));
const credentialType = z.enum(["basic"]);
const rateLimit = z.object({
  requests_per_second: z.number().int().min(0).max(100_000).default(0),
  max_concurrency: z.number().int().min(0).max(1_000).default(0),
});
const caCertificate = z.string().max(65_536).refine((v) => v === "" || v.includes("-----BEGIN CERTIFICATE-----"), "must be a PEM certificate");
const createBody = z.object({
  name: z.string().trim().min(1).max(256),
  description: z.string().max(1024).default(""),
  type: z.enum(ENDPOINT_TYPES),
  url,
  insecure: z.boolean().default(false),
  ca_certificate: caCertificate.nullable().optional(),
  credential: z
    .object({ type: credentialType.default("basic"), access_key: z.string().max(1024).default(""), access_secret: z.string().max(4096).default("") })
    .optional(),
  rate_limit: rateLimit.optional(),
});
const updateBody = z.object({
  name: z.string().trim().min(1).max(256).nullable().optional(),
  description: z.string().max(1024).nullable().optional(),
  url: url.nullable().optional(),
  credential_type: credentialType.nullable().optional(),
  access_key: z.string().max(1024).nullable().optional(),
  access_secret: z.string().max(4096).nullable().optional(),
  insecure: z.boolean().nullable().optional(),
  ca_certificate: caCertificate.nullable().optional(),
  rate_limit: rateLimit.optional(),
});
const pingBody = z.object({
  id: z.number().int().min(1).max(2_147_483_647).nullable().optional(),
  type: z.enum(ENDPOINT_TYPES).nullable().optional(),
  url: url.nullable().optional(),
  credential_type: credentialType.nullable().optional(),
  access_key: z.string().max(1024).nullable().optional(),
  access_secret: z.string().max(4096).nullable().optional(),
  insecure: z.boolean().nullable().optional(),
  ca_certificate: caCertificate.nullable().optional(),
});
const listQuery = z.object({ ...pagingQuery, q: z.string().max(1024).optional(), sort: sortQuery, name: z.string().max(256).optional() });
const SORT = { id: "id", name: "name", creation_time: "createdAt", update_time: "updatedAt" } as const;

/** Harbor's `Registry` (no secret), with Berth's `rate_limit`. */
export function endpointView(r: RegistryEndpoint, status?: string) {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    type: r.type,
    url: r.url,
    insecure: r.insecure,
    ca_certificate: r.caCertificate ?? "",
    credential: { type: r.credentialType, access_key: r.accessKey },
    rate_limit: { requests_per_second: r.requestsPerSecond, max_concurrency: r.maxConcurrency },
    ...(status !== undefined && { status }),
    creation_time: r.createdAt.toISOString(),
    update_time: r.updatedAt.toISOString(),
  };
}

export function registriesRoutes(deps: { endpoints: EndpointStore; service: EndpointService }): Router {
  const { endpoints, service } = deps;
  const router = Router();
  const sysadmin = requireSysadmin();
  const id = (req: Parameters<typeof parseParam>[0]) => parseParam(req, "id", idParam);

  router.get("/api/v2.0/registries", sysadmin, async (req, res) => {
    const query = parseInput(listQuery, req.query);
    const page = paging(query);
    const q = parseHarborQuery(query.q);
    onlyKeys(q, ["name"]);
    const name = textMatch(q.get("name"), "name") ?? (query.name ? { contains: query.name } : undefined);
    const { total, items } = await endpoints.list(name, page, parseSort(query.sort, SORT));
    const statuses = await Promise.all(items.map((r) => service.status(endpoints.connection(r))));
    setPageHeaders(req, res, page, total);
    res.json(items.map((r, i) => endpointView(r, statuses[i])));
  });

  router.post("/api/v2.0/registries", sysadmin, async (req, res) => {
    const body = parseInput(createBody, req.body);
    const input: EndpointInput = {
      name: body.name,
      description: body.description,
      type: body.type,
      url: body.url,
      insecure: body.insecure,
      caCertificate: body.ca_certificate || null,
      credentialType: body.credential?.type ?? "basic",
      accessKey: body.credential?.access_key ?? "",
      accessSecret: body.credential?.access_secret ?? "",
      requestsPerSecond: body.rate_limit?.requests_per_second ?? 0,
      maxConcurrency: body.rate_limit?.max_concurrency ?? 0,
    };
    const row = await endpoints.create(input, auditActor(sysadminOf(res)));
    res.setHeader("Location", `/api/v2.0/registries/${row.id}`);
    res.status(201).end();
  });

  router.post("/api/v2.0/registries/ping", sysadmin, async (req, res) => {
    const body = parseInput(pingBody, req.body);
    let base: EndpointConnection = { type: "docker-registry", url: "", insecure: false, caCertificate: null, credential: undefined };
    if (body.id) base = endpoints.connection(await endpoints.get(body.id));
    const username = body.access_key ?? base.credential?.username ?? "";
    const password = body.access_secret ?? base.credential?.password ?? "";
    const target: EndpointConnection = {
      type: body.type ?? base.type,
      url: body.url ?? base.url,
      insecure: body.insecure ?? base.insecure,
      caCertificate: body.ca_certificate ?? base.caCertificate,
      credential: username || password ? { username, password } : undefined,
    };
    if (!target.url) parseInput(z.object({ url }), {});
    await service.ping(target);
    res.status(200).end();
  });

  router.get("/api/v2.0/registries/:id", sysadmin, async (req, res) => {
    const row = await endpoints.get(id(req));
    res.json(endpointView(row, await service.status(endpoints.connection(row))));
  });

  router.get("/api/v2.0/registries/:id/info", sysadmin, async (req, res) => {
    const row = await endpoints.get(id(req));
    res.json(service.info(row.type as EndpointType));
  });

  router.put("/api/v2.0/registries/:id", sysadmin, async (req, res) => {
    const row = await endpoints.get(id(req));
    const body = parseInput(updateBody, req.body);
    const input: EndpointInput = {
      name: body.name ?? row.name,
      description: body.description ?? row.description,
      type: row.type,
      url: body.url ?? row.url,
      insecure: body.insecure ?? row.insecure,
      caCertificate: body.ca_certificate === undefined || body.ca_certificate === null ? row.caCertificate : body.ca_certificate || null,
      credentialType: body.credential_type ?? row.credentialType,
      accessKey: body.access_key ?? row.accessKey,
      accessSecret: body.access_secret ?? undefined,
      requestsPerSecond: body.rate_limit?.requests_per_second ?? row.requestsPerSecond,
      maxConcurrency: body.rate_limit?.max_concurrency ?? row.maxConcurrency,
    };
    await endpoints.update(row, input, auditActor(sysadminOf(res)));
    res.status(200).end();
  });

  router.delete("/api/v2.0/registries/:id", sysadmin, async (req, res) => {
    const row = await endpoints.get(id(req));
    await endpoints.delete(row, auditActor(sysadminOf(res)));
    res.status(200).end();
  });

  return router;
}
