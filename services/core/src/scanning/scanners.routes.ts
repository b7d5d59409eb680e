/**
 * Harbor's scanner registrations (`/api/v2.0/scanners…`): register, list, get, update, delete,
 * set the default (PATCH), ping an adapter before registering it, and read a registration's
 * adapter metadata. System administrators manage them; the credential is write-only.
 */
import { Router } from "express";
import { z } from "zod";
import type { ScannerRegistration } from "@berth/db";
import { SCANNER_AUTH_TYPES, ScannerAdapterError, ScannerClient } from "@berth/scanning";
import { requireAuthenticated, requireSysadmin } from "../auth/guards.js";
import { UpstreamError } from "../errors.js";
import { paging, pagingQuery, setPageHeaders } from "../http/paging.js";
import { parseInput } from "../http/parse-input.js";
import type { ScannerInput, ScannerStore } from "./scanner-store.js";

const url = z.string().max(2048).regex(/^https?:\/\/[^\s]+$/i, "must be an http(s) URL");
const registrationBody = z.object({
  name: z.string().min(1).max(255),
  description: z.string().max(1024).default(""),
  url,
  auth: z.enum(SCANNER_AUTH_TYPES).default(""),
  access_credential: z.string().max(4096).default(""),
  skip_certVerify: z.boolean().default(false),
  use_internal_addr: z.boolean().default(false),
  disabled: z.boolean().default(false),
});
const pingBody = registrationBody.extend({ name: z.string().max(255).default("ping") });
const patchBody = z.object({ is_default: z.boolean() });

function input(b: z.output<typeof registrationBody>): ScannerInput {
  return {
    name: b.name,
    description: b.description,
    url: b.url,
    auth: b.auth,
    accessCredential: b.access_credential,
    skipCertVerify: b.skip_certVerify,
    useInternalAddr: b.use_internal_addr,
    disabled: b.disabled,
  };
}

/** Harbor's `ScannerRegistration` JSON (never the credential). */
function registrationView(r: ScannerRegistration) {
  return {
    uuid: r.uuid,
    name: r.name,
    description: r.description,
    url: r.url,
    disabled: r.disabled,
    is_default: r.isDefault,
    auth: r.auth,
    skip_certVerify: r.skipCertVerify,
    use_internal_addr: r.useInternalAddr,
    create_time: r.createdAt.toISOString(),
    update_time: r.updatedAt.toISOString(),
  };
}

async function metadataOf(client: ScannerClient) {
  try {
    return await client.metadata();
  } catch (err) {
    if (err instanceof ScannerAdapterError) throw new UpstreamError(err.message);
    throw err;
  }
}

export function scannersRoutes(deps: { scanners: ScannerStore }): Router {
  const { scanners } = deps;
  const router = Router();
  const sysadmin = requireSysadmin();
  const base = "/api/v2.0/scanners";

  router.get(base, sysadmin, async (req, res) => {
    const page = paging(parseInput(z.object({ ...pagingQuery, q: z.string().max(1024).optional() }), req.query));
    const all = await scanners.list();
    setPageHeaders(req, res, page, all.length);
    res.json(all.slice(page.skip, page.skip + page.take).map(registrationView));
  });

  router.post(base, sysadmin, async (req, res) => {
    const row = await scanners.create(input(parseInput(registrationBody, req.body)));
    res.setHeader("Location", `${base}/${row.uuid}`);
    res.status(201).end();
  });

  router.post(`${base}/ping`, sysadmin, async (req, res) => {
    const b = parseInput(pingBody, req.body);
    await metadataOf(new ScannerClient({ url: b.url, auth: b.auth, credential: b.access_credential, timeoutMs: 10_000 }));
    res.status(200).end();
  });

  router.get(`${base}/:id`, sysadmin, async (req, res) => {
    res.json(registrationView(await scanners.get(String(req.params["id"]))));
  });

  router.put(`${base}/:id`, sysadmin, async (req, res) => {
    await scanners.update(String(req.params["id"]), input(parseInput(registrationBody, req.body)));
    res.status(200).end();
  });

  router.patch(`${base}/:id`, sysadmin, async (req, res) => {
    const { is_default } = parseInput(patchBody, req.body);
    if (is_default) await scanners.setDefault(String(req.params["id"]));
    res.status(200).end();
  });

  router.delete(`${base}/:id`, sysadmin, async (req, res) => {
    res.json(registrationView(await scanners.delete(String(req.params["id"]))));
  });

  // Any signed-in user may read what a scanner can do (Harbor shows it on project pages).
  router.get(`${base}/:id/metadata`, requireAuthenticated(), async (req, res) => {
    const row = await scanners.get(String(req.params["id"]));
    res.json(await metadataOf(scanners.client(row)));
  });

  return router;
}
