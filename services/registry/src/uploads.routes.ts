/** Blob uploads: `POST /v2/<name>/blobs/uploads/` and `PATCH`/`PUT`/`GET`/`DELETE …/uploads/<uuid>`. */
import type { Response } from "express";
import { parseDigest, parseRepositoryName } from "@berth/oci";
import { RangeInvalidError, type RegistryStore, type UploadSession } from "@berth/registry-store";
import { contentLength, single, uploadContentRange, uploadRangeHeader } from "./http-util.js";
import { countingUpload } from "./registry-metrics.js";
import { repoPath, type RouteContext } from "./route-context.js";
import { RequestInvalidError } from "./wire-errors.js";

export interface UploadHandlers {
  start(ctx: RouteContext): Promise<void>;
  patch(ctx: RouteContext, id: string): Promise<void>;
  put(ctx: RouteContext, id: string): Promise<void>;
  status(ctx: RouteContext, id: string): Promise<void>;
  cancel(ctx: RouteContext, id: string): Promise<void>;
}

/** Upload handlers over the store. */
export function uploadHandlers(deps: { store: RegistryStore }): UploadHandlers {
  const { uploads, blobs } = deps.store;

  function sessionAccepted(res: Response, session: UploadSession): void {
    res.status(202);
    res.setHeader("Location", `${repoPath(session.repository)}/blobs/uploads/${session.id}`);
    res.setHeader("Range", uploadRangeHeader(session.offset));
    res.setHeader("Docker-Upload-UUID", session.id);
    res.setHeader("Content-Length", 0);
    res.end();
  }

  function blobCreated(res: Response, name: string, digest: string): void {
    res.status(201);
    res.setHeader("Location", `${repoPath(name)}/blobs/${digest}`);
    res.setHeader("Docker-Content-Digest", digest);
    res.setHeader("Content-Length", 0);
    res.end();
  }

  /** On an out-of-order chunk, tell the client where the session stands (spec: 416 + Range). */
  async function withRange<T>(ctx: RouteContext, id: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof RangeInvalidError) {
        ctx.res.setHeader("Location", `${repoPath(ctx.name)}/blobs/uploads/${id}`);
        ctx.res.setHeader("Range", uploadRangeHeader(err.offset));
        ctx.res.setHeader("Docker-Upload-UUID", id);
      }
      throw err;
    }
  }

  return {
    async start(ctx) {
      const { req, res, name, grant } = ctx;
      const mount = single(req.query["mount"]);
      const from = single(req.query["from"]);
      const digestParam = single(req.query["digest"]);
      if (mount !== undefined) {
        const digest = parseDigest(mount);
        const source = from === undefined ? undefined : parseRepositoryName(from);
        // Without pull on the source, fall back to a normal upload (as Distribution does).
        const allowed = source === undefined || grant.allows("repository", source, "pull");
        const mounted = allowed ? await blobs.mount(name, digest, source) : undefined;
        if (mounted !== undefined) {
          blobCreated(res, name, digest);
          return;
        }
      }
      if (digestParam !== undefined) {
        const digest = parseDigest(digestParam);
        const blob = await uploads.uploadMonolithic(name, digest, countingUpload(req), contentLength(req));
        blobCreated(res, name, blob.digest);
        return;
      }
      sessionAccepted(res, await uploads.start(name));
    },

    async patch(ctx, id) {
      const { req, res, name } = ctx;
      const range = uploadContentRange(req);
      const length = contentLength(req);
      if (range !== undefined && length !== undefined && range.end - range.start + 1 !== length) {
        throw new RequestInvalidError("SIZE_INVALID", "Content-Length does not match Content-Range", { contentLength: length });
      }
      const chunk = { start: range?.start, length: range !== undefined ? range.end - range.start + 1 : length };
      const session = await withRange(ctx, id, () => uploads.append(name, id, countingUpload(req), chunk));
      sessionAccepted(res, session);
    },

    async put(ctx, id) {
      const { req, res, name } = ctx;
      const raw = single(req.query["digest"]);
      if (raw === undefined || raw === "") throw new RequestInvalidError("DIGEST_INVALID", "the digest query parameter is required to close an upload");
      const digest = parseDigest(raw);
      const range = uploadContentRange(req);
      const length = contentLength(req);
      const chunk = { start: range?.start, length: range !== undefined ? range.end - range.start + 1 : length };
      const blob = await withRange(ctx, id, () => uploads.complete(name, id, digest, countingUpload(req), chunk));
      blobCreated(res, name, blob.digest);
    },

    async status({ res, name }, id) {
      const session = await uploads.status(name, id);
      res.status(204);
      res.setHeader("Location", `${repoPath(name)}/blobs/uploads/${id}`);
      res.setHeader("Range", uploadRangeHeader(session.offset));
      res.setHeader("Docker-Upload-UUID", id);
      res.setHeader("Content-Length", 0);
      res.end();
    },

    async cancel({ res, name }, id) {
      await uploads.cancel(name, id);
      res.status(204).setHeader("Content-Length", 0);
      res.end();
    },
  };
}
