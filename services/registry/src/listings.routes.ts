/** `GET /v2/<name>/tags/list`, `GET /v2/_catalog`, `GET /v2/<name>/referrers/<digest>`. */
import type { Request, Response } from "express";
import { OCI_INDEX, parseDigest } from "@berth/oci";
import type { RegistryStore } from "@berth/registry-store";
import { pageQuery, single } from "./http-util.js";
import { repoPath, type RouteContext } from "./route-context.js";

export interface ListingHandlers {
  tags(ctx: RouteContext): Promise<void>;
  catalog(req: Request, res: Response): Promise<void>;
  referrers(ctx: RouteContext, digest: string): Promise<void>;
}

function sendJson(res: Response, value: unknown, contentType = "application/json; charset=utf-8"): void {
  const body = JSON.stringify(value);
  res.status(200);
  res.setHeader("Content-Type", contentType);
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(res.req.method === "HEAD" ? undefined : body);
}

function nextLink(path: string, n: number | undefined, last: string): string {
  const query = new URLSearchParams();
  if (n !== undefined) query.set("n", String(n));
  query.set("last", last);
  return `<${path}?${query.toString()}>; rel="next"`;
}

/** Listing handlers over the store. */
export function listingHandlers(deps: { store: RegistryStore }): ListingHandlers {
  const { listings } = deps.store;
  return {
    async tags({ req, res, name }) {
      const query = pageQuery(req);
      const page = await listings.tags(name, query);
      if (page.hasMore) res.setHeader("Link", nextLink(`${repoPath(name)}/tags/list`, query.n, page.items.at(-1)!));
      sendJson(res, { name, tags: page.items });
    },

    async catalog(req, res) {
      const query = pageQuery(req);
      const page = await listings.catalog(query);
      if (page.hasMore) res.setHeader("Link", nextLink("/v2/_catalog", query.n, page.items.at(-1)!));
      sendJson(res, { repositories: page.items });
    },

    async referrers({ req, res, name }, raw) {
      const digest = parseDigest(raw);
      const artifactType = single(req.query["artifactType"]);
      const result = await listings.referrers(name, digest, artifactType);
      if (result.filtersApplied.length > 0) res.setHeader("OCI-Filters-Applied", result.filtersApplied.join(","));
      sendJson(res, result.index, OCI_INDEX);
    },
  };
}
