/** `GET`/`HEAD`/`DELETE /v2/<name>/blobs/<digest>`. */
import { pipeline } from "node:stream/promises";
import { parseDigest } from "@berth/oci";
import type { RegistryStore } from "@berth/registry-store";
import { requestedRange } from "./http-util.js";
import type { RouteContext } from "./route-context.js";

export interface BlobHandlers {
  fetch(ctx: RouteContext, digest: string): Promise<void>;
  delete(ctx: RouteContext, digest: string): Promise<void>;
}

/** Blob handlers over the store. */
export function blobHandlers(deps: { store: RegistryStore }): BlobHandlers {
  const { blobs } = deps.store;
  return {
    async fetch({ req, res, name }, raw) {
      const digest = parseDigest(raw);
      const info = await blobs.stat(name, digest);
      const head = req.method === "HEAD";
      const redirect = await blobs.redirectURL(digest, head ? "HEAD" : "GET");
      res.setHeader("Docker-Content-Digest", digest);
      res.setHeader("ETag", `"${digest}"`);
      res.setHeader("Accept-Ranges", "bytes");
      res.setHeader("Cache-Control", "max-age=31536000");
      if (redirect !== undefined && !head) {
        res.status(307).setHeader("Location", redirect);
        res.end();
        return;
      }
      res.setHeader("Content-Type", info.mediaType ?? "application/octet-stream");
      const range = requestedRange(req.headers.range, info.size);
      if (range.kind === "unsatisfiable") {
        res.status(416).setHeader("Content-Range", `bytes */${info.size}`);
        res.setHeader("Content-Length", 0);
        res.end();
        return;
      }
      const { start, end } = range.kind === "range" ? range.range : { start: 0, end: info.size - 1 };
      const length = Math.max(0, end - start + 1);
      if (range.kind === "range") {
        res.status(206).setHeader("Content-Range", `bytes ${start}-${end}/${info.size}`);
      } else {
        res.status(200);
      }
      res.setHeader("Content-Length", length);
      if (head || length === 0) {
        res.end();
        return;
      }
      const stream = await blobs.open(digest, { offset: start, length });
      res.flushHeaders();
      await pipeline(stream, res);
    },

    async delete({ res, name }, raw) {
      const digest = parseDigest(raw);
      await blobs.unlink(name, digest);
      res.status(202).setHeader("Content-Length", 0);
      res.end();
    },
  };
}
