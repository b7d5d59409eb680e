import { Router } from "express";
import { z } from "zod";
import type { AccessControl } from "../auth/access-control.js";
import { principalOf, principalName } from "../auth/principal.js";
import { InvalidInputError } from "../errors.js";
import { parseInput } from "../http/parse-input.js";
import type { ProjectStore } from "../projects/project-store.js";
import { mergeScopes, parseScopes, type ResourceScope } from "./scope.js";
import { grantAccess } from "./token-access.js";
import type { TokenIssuer } from "@berth/token";

const query = z.object({
  service: z.string().max(255).optional(),
  scope: z.union([z.string().max(4096), z.array(z.string().max(4096)).max(50)]).optional(),
  account: z.string().max(255).optional(),
  client_id: z.string().max(255).optional(),
  offline_token: z.string().max(10).optional(),
});

/**
 * `GET /service/token` — the Docker token service. The caller is whoever the shared
 * authentication middleware resolved (Basic user or robot, or anonymous; wrong credentials
 * already answered 401 with a Basic challenge, a rate-limited caller 429).
 */
export function tokenRoutes(deps: { issuer: TokenIssuer; projects: ProjectStore; access: AccessControl }): Router {
  const router = Router();
  router.get("/service/token", async (req, res) => {
    const params = parseInput(query, req.query);
    if (params.service !== deps.issuer.options.service) {
      throw new InvalidInputError(`service must be "${deps.issuer.options.service}"`);
    }
    const scopes: ResourceScope[] = [];
    for (const raw of params.scope === undefined ? [] : Array.isArray(params.scope) ? params.scope : [params.scope]) {
      const parsed = parseScopes(raw);
      if (!parsed) throw new InvalidInputError(`invalid scope "${raw}": expected type:name:action[,action]`);
      scopes.push(...parsed);
    }
    const principal = principalOf(res);
    const access = await grantAccess(deps, principal, mergeScopes(scopes));
    const issued = deps.issuer.issue(principal ? principalName(principal) : "", access);
    res.setHeader("Cache-Control", "no-store");
    res.json({ token: issued.token, access_token: issued.token, expires_in: issued.expiresIn, issued_at: issued.issuedAt.toISOString() });
  });
  return router;
}
