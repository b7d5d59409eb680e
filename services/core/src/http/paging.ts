import type { Request, Response } from "express";
import { z } from "zod";
import type { Paging } from "../listing.js";

/**
 * Harbor's paging parameters: `page` from 1 (default 1), `page_size` 1–100 (default 10; the
 * swagger's maximum — larger sizes are refused with 400 rather than silently clamped).
 */
export const pagingQuery = {
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  page_size: z.coerce.number().int().min(1).max(100).default(10),
};

export function paging(query: { page: number; page_size: number }): Paging {
  return { page: query.page, pageSize: query.page_size, skip: (query.page - 1) * query.page_size, take: query.page_size };
}

/**
 * Sets `X-Total-Count` and Harbor's `Link` header (`<url>; rel="prev" , <url>; rel="next"`),
 * keeping the request's other query parameters.
 */
export function setPageHeaders(req: Request, res: Response, page: Paging, total: number): void {
  res.setHeader("X-Total-Count", String(total));
  const links: string[] = [];
  const link = (p: number, rel: string) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(req.query)) {
      if (key === "page" || key === "page_size") continue;
      for (const v of Array.isArray(value) ? value : [value]) if (typeof v === "string") params.append(key, v);
    }
    params.set("page", String(p));
    params.set("page_size", String(page.pageSize));
    links.push(`<${req.baseUrl}${req.path}?${params}>; rel="${rel}"`);
  };
  if (page.page > 1) link(page.page - 1, "prev");
  if (page.skip + page.take < total) link(page.page + 1, "next");
  if (links.length) res.setHeader("Link", links.join(" , "));
}
