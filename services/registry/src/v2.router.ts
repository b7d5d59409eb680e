/**
 * The `/v2/` API: parses the path (names contain slashes, so routing works from the right, in
 * @berth/oci's `parseV2Route`), validates the repository name, authorizes the needed access, and
 * hands over to the route modules. Every response carries `Docker-Distribution-Api-Version`.
 */
import express, { type Request, type Response } from "express";
import { setMetricsRoute } from "@berth/http";
import { parseRepositoryName, parseV2Route, type V2Route } from "@berth/oci";
import type { RegistryStore } from "@berth/registry-store";
import type { Logger } from "@berth/logger";
import type { Authorizer, Grant } from "./auth/authorizer.js";
import type { RequiredAccess } from "./auth/challenge.js";
import { blobHandlers } from "./blobs.routes.js";
import { listingHandlers } from "./listings.routes.js";
import { manifestHandlers } from "./manifests.routes.js";
import type { RouteContext } from "./route-context.js";
import { uploadHandlers } from "./uploads.routes.js";
import { sendError, sendWireError } from "./wire-errors.js";

/** Dependencies of the `/v2/` router. */
export interface V2Deps {
  store: RegistryStore;
  authorizer: Authorizer;
  logger: Logger;
}

type Handler = (ctx: RouteContext) => Promise<void>;
interface Endpoint {
  actions: string[];
  handler: Handler;
}

/** The `/v2` router (mount it at `/v2`). */
export function v2Router(deps: V2Deps): express.Router {
  const { authorizer } = deps;
  const logger = deps.logger.child({ module: "v2" });
  const blobs = blobHandlers(deps);
  const uploads = uploadHandlers(deps);
  const manifests = manifestHandlers(deps);
  const listings = listingHandlers(deps);

  /** What each repository route answers, per method, and the actions it needs. */
  function endpoints(route: Exclude<V2Route, { kind: "base" } | { kind: "catalog" }>): Record<string, Endpoint> {
    const pull = ["pull"];
    const push = ["push"];
    switch (route.kind) {
      case "blob":
        return {
          GET: { actions: pull, handler: (c) => blobs.fetch(c, route.digest) },
          HEAD: { actions: pull, handler: (c) => blobs.fetch(c, route.digest) },
          DELETE: { actions: ["delete"], handler: (c) => blobs.delete(c, route.digest) },
        };
      case "blob-upload-start":
        return { POST: { actions: push, handler: (c) => uploads.start(c) } };
      case "blob-upload":
        return {
          GET: { actions: push, handler: (c) => uploads.status(c, route.sessionId) },
          PATCH: { actions: push, handler: (c) => uploads.patch(c, route.sessionId) },
          PUT: { actions: push, handler: (c) => uploads.put(c, route.sessionId) },
          DELETE: { actions: push, handler: (c) => uploads.cancel(c, route.sessionId) },
        };
      case "manifest":
        return {
          GET: { actions: pull, handler: (c) => manifests.fetch(c, route.reference) },
          HEAD: { actions: pull, handler: (c) => manifests.fetch(c, route.reference) },
          PUT: { actions: push, handler: (c) => manifests.put(c, route.reference) },
          DELETE: { actions: ["delete"], handler: (c) => manifests.delete(c, route.reference) },
        };
      case "tags":
        return { GET: { actions: pull, handler: (c) => listings.tags(c) }, HEAD: { actions: pull, handler: (c) => listings.tags(c) } };
      case "referrers":
        return { GET: { actions: pull, handler: (c) => listings.referrers(c, route.digest) } };
    }
  }

  function authorize(req: Request, res: Response, access: RequiredAccess[]): Grant | undefined {
    const result = authorizer.authorize(req, access);
    if (result.kind === "grant") return result;
    res.setHeader("WWW-Authenticate", result.header);
    sendWireError(res, result.status, result.code, result.message, access.length > 0 ? { access } : undefined);
    return undefined;
  }

  function notAllowed(res: Response, allowed: string[]): void {
    res.setHeader("Allow", allowed.join(", "));
    sendWireError(res, 405, "UNSUPPORTED", "method not allowed on this route");
  }

  const router = express.Router();
  router.use(async (req, res) => {
    res.setHeader("Docker-Distribution-Api-Version", "registry/2.0");
    try {
      const route = parseV2Route(req.path);
      setMetricsRoute(res, `/v2/${route?.kind ?? "unknown"}`);
      if (route === undefined) {
        sendWireError(res, 404, "NAME_UNKNOWN", "no such route in the registry API", { path: req.path.slice(0, 256) });
        return;
      }
      if (route.kind === "base") {
        if (req.method !== "GET" && req.method !== "HEAD") return notAllowed(res, ["GET", "HEAD"]);
        if (!authorize(req, res, [])) return;
        res.status(200).setHeader("Content-Type", "application/json; charset=utf-8");
        res.setHeader("Content-Length", 2);
        res.end(req.method === "HEAD" ? undefined : "{}");
        return;
      }
      if (route.kind === "catalog") {
        if (req.method !== "GET") return notAllowed(res, ["GET"]);
        if (!authorize(req, res, [{ type: "registry", name: "catalog", actions: ["*"] }])) return;
        await listings.catalog(req, res);
        return;
      }
      const name = parseRepositoryName(route.name);
      const table = endpoints(route);
      const endpoint = table[req.method];
      if (endpoint === undefined) return notAllowed(res, Object.keys(table));
      const grant = authorize(req, res, [{ type: "repository", name, actions: endpoint.actions }]);
      if (!grant) return;
      await endpoint.handler({ req, res, name, grant });
    } catch (err) {
      sendError(res, err, logger);
    }
  });
  return router;
}
