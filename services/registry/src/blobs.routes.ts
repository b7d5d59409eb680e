/** `GET`/`HEAD`/`DELETE /v2/<name>/blobs/<digest>`. */
import type { IncomingHttpHeaders } from "node:http";
import { pipeline } from "node:stream/promises";
import { parseDigest } from "@berth/oci";
import type { RegistryStore } from "@berth/registry-store";
import { requestedRange } from "./http-util.js";
import { countDownload } from "./registry-metrics.js";
import type { RouteContext } from "./route-context.js";
import { RequestInvalidError } from "./wire-errors.js";

/** Conditional request headers: nginx would act on them, the registry does not; such GETs stay here. */
function conditional(headers: IncomingHttpHeaders): boolean {
  return (
    headers["if-range"] !== undefined ||
    headers["if-match"] !== undefined ||
    headers["if-none-match"] !== undefined ||
    headers["if-modified-since"] !== undefined ||
    headers["if-unmodified-since"] !== undefined
  );
}

export interface BlobHandlers {
  fetch(ctx: RouteContext, digest: string): Promise<void>;
  delete(ctx: RouteContext, digest: string): Promise<void>;
}

/**
 * Blob handlers over the store. When the storage driver has a location the front proxy reads
 * (filesystem storage behind nginx), blob GETs answer with `X-Accel-Redirect` and nginx sends the
 * bytes; when it hands out URLs (S3 with redirects), GETs answer 307; otherwise the registry
 * streams.
 */
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
      res.setHeader("Cache-Control", "max-age=31536000");
      if (redirect !== undefined && !head) {
        res.setHeader("Accept-Ranges", "bytes");
        res.status(307).setHeader("Location", redirect);
        res.end();
        countDownload("object-store", info.size);
        return;
      }
      res.setHeader("Content-Type", info.mediaType ?? "application/octet-stream");
      const range = requestedRange(req.headers.range, info.size);
      // nginx answers from the file (sendfile): 200, or 206 + Content-Range for the one range this
      // registry honours too (nginx parses the same header; `max_ranges 1`). A Range header this
      // registry ignores (malformed, several ranges), conditional GETs, HEAD and 416 stay here.
      const accelerate =
        !head && info.size > 0 && !conditional(req.headers) &&
        (range.kind === "range" || (range.kind === "none" && req.headers.range === undefined));
      const internal = accelerate ? blobs.internalRedirect(digest) : undefined;
      if (internal !== undefined) {
        res.status(200).setHeader("X-Accel-Redirect", internal);
        res.setHeader("Content-Length", 0);
        res.end();
        countDownload("nginx", range.kind === "range" ? range.range.end - range.range.start + 1 : info.size);
        return;
      }
      res.setHeader("Accept-Ranges", "bytes");
      if (range.kind === "unsatisfiable") {
        res.setHeader("Content-Range", `bytes */${info.size}`);
        throw new RequestInvalidError("RANGE_INVALID", `the requested range is outside the blob's ${info.size} bytes`, { size: info.size }, 416);
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
      countDownload("registry", length);
    },

    async delete({ res, name }, raw) {
      const digest = parseDigest(raw);
      await blobs.unlink(name, digest);
      res.status(202).setHeader("Content-Length", 0);
      res.end();
    },
  };
}
