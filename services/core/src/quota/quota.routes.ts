import { Router } from "express";
import { z } from "zod";
import { auditActor } from "../auth/principal.js";
import { sysadminOf } from "../auth/guards.js";
import { paging, pagingQuery, setPageHeaders } from "../http/paging.js";
import { parseInput } from "../http/parse-input.js";
import { parseSort, sortQuery } from "../http/sorting.js";
import { storageLimit } from "../projects/project-input.js";
import type { QuotaRecord, QuotaService } from "./quota-service.js";

/** Harbor's `Quota`. */
function quotaView(q: QuotaRecord) {
  return {
    id: q.project.id,
    ref: { id: q.project.id, name: q.project.name, owner_name: q.ownerName },
    hard: { storage: Number(q.project.storageLimit) },
    used: { storage: q.used },
    creation_time: q.project.createdAt.toISOString(),
    update_time: q.project.updatedAt.toISOString(),
  };
}

const listQuery = z.object({
  ...pagingQuery,
  reference: z.enum(["project"]).optional(),
  reference_id: z.string().max(255).optional(),
  sort: sortQuery,
});
const SORT = { "hard.storage": "storageLimit", creation_time: "createdAt", update_time: "updatedAt" } as const;
const quotaId = z.coerce.number().int().min(1).max(2_147_483_647);
const updateBody = z.object({ hard: z.object({ storage: storageLimit }) });

/** `/api/v2.0/quotas…` (system administrators only). */
export function quotaRoutes(deps: { quotas: QuotaService }): Router {
  const { quotas } = deps;
  const router = Router();
  const only = "only system administrators may manage quotas";

  router.get("/api/v2.0/quotas", async (req, res) => {
    sysadminOf(res, only);
    const query = parseInput(listQuery, req.query);
    const page = paging(query);
    const { total, items } = await quotas.list(query.reference_id, page, parseSort(query.sort, SORT));
    setPageHeaders(req, res, page, total);
    res.json(items.map(quotaView));
  });

  router.get("/api/v2.0/quotas/:id", async (req, res) => {
    sysadminOf(res, only);
    res.json(quotaView(await quotas.get(parseInput(quotaId, req.params["id"]))));
  });

  router.put("/api/v2.0/quotas/:id", async (req, res) => {
    const principal = sysadminOf(res, only);
    const id = parseInput(quotaId, req.params["id"]);
    const body = parseInput(updateBody, req.body);
    await quotas.setLimit(id, BigInt(body.hard.storage), auditActor(principal));
    res.status(200).end();
  });

  return router;
}
