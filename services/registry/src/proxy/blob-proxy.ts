/**
 * A proxy project's blob miss. One process across the replicas (a {@link FetchLocks} lease per
 * digest) fetches the blob from the upstream and streams it to its client while writing it to a
 * temporary upload; the upload is committed (linked, quota charged) only when the digest matches,
 * and the last chunk reaches the client only after that — a client never receives a complete wrong
 * blob as success: on a mismatch the connection is cut short and nothing is cached. Other pullers of
 * the same digest wait for the blob to land and are then served from the cache.
 */
import type { Readable } from "node:stream";
import type { Response } from "express";
import { RegistryHttpError } from "@berth/distribution-client";
import type { Logger } from "@berth/logger";
import type { Digest } from "@berth/oci";
import { BlobUnknownError, DigestMismatchError, SizeInvalidError, type RegistryStore } from "@berth/registry-store";
import type { FetchLocks } from "./fetch-locks.js";
import { upstreamFailure } from "./upstream-failure.js";
import { UpstreamUnavailableError } from "./proxy-errors.js";
import type { Upstream } from "./upstreams.js";

export interface BlobProxyOptions {
  store: RegistryStore;
  locks: FetchLocks;
  logger: Logger;
  /** How often a waiting puller looks for the blob (ms). */
  pollMs?: number;
}

/** Writes `chunk` to the client unless it is gone; waits for drain. */
async function write(res: Response | undefined, chunk: Buffer): Promise<void> {
  if (!res || res.destroyed || res.writableEnded) return;
  if (res.write(chunk)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

export class BlobProxy {
  readonly #o: BlobProxyOptions;

  constructor(options: BlobProxyOptions) {
    this.#o = options;
  }

  /**
   * Makes blob `digest` of `repository` present in the cache. With `res` (a GET), the fetching
   * process streams it to that client and answers `"served"`; otherwise (or when another process
   * fetched it) answers `"cached"`, and the caller serves the cached blob.
   *
   * @throws {BlobUnknownError} the upstream has no such blob. {UpstreamUnavailableError}
   */
  async ensure(repository: string, digest: Digest, upstream: Upstream, res?: Response): Promise<"served" | "cached"> {
    const key = `blob:${repository}@${digest}`;
    const pollMs = this.#o.pollMs ?? 200;
    for (;;) {
      if (await this.#present(repository, digest)) return "cached";
      const lease = await this.#o.locks.tryAcquire(key);
      if (!lease) {
        // Another replica is fetching it: wait until it lands, or until its holder gives up.
        while (await this.#o.locks.held(key)) await new Promise((r) => setTimeout(r, pollMs));
        continue;
      }
      try {
        if (await this.#present(repository, digest)) return "cached";
        await this.#fetch(repository, digest, upstream, res);
        return res ? "served" : "cached";
      } finally {
        await lease.release();
      }
    }
  }

  async #present(repository: string, digest: Digest): Promise<boolean> {
    try {
      await this.#o.store.blobs.stat(repository, digest);
      return true;
    } catch (err) {
      if (err instanceof BlobUnknownError) return false;
      throw err;
    }
  }

  async #fetch(repository: string, digest: Digest, upstream: Upstream, res: Response | undefined): Promise<void> {
    let body: Readable;
    let length: number | undefined;
    try {
      ({ body, length } = await upstream.client.getBlob(upstream.repository, digest));
    } catch (err) {
      if (err instanceof RegistryHttpError && err.status === 404) throw new BlobUnknownError(digest);
      const reason = upstreamFailure(err);
      if (reason === undefined) throw err;
      throw new UpstreamUnavailableError("blob", digest, upstream.registry, reason);
    }
    if (length !== undefined) {
      // Refused before a byte moves: the client gets a clear DENIED instead of a cut connection.
      try {
        await this.#o.store.quotas.precheck(repository, digest, length);
      } catch (err) {
        body.destroy();
        throw err;
      }
    }
    if (res) {
      res.status(200);
      res.setHeader("Content-Type", "application/octet-stream");
      res.setHeader("Docker-Content-Digest", digest);
      if (length !== undefined) res.setHeader("Content-Length", length);
      res.flushHeaders();
    }
    // The chunk read last is held back until the whole blob is verified and committed.
    let held: Buffer | undefined;
    async function* passOn(): AsyncGenerator<Uint8Array> {
      for await (const chunk of body) {
        if (held) await write(res, held);
        held = chunk as Buffer;
        yield held;
      }
    }
    try {
      await this.#o.store.uploads.uploadMonolithic(repository, digest, passOn(), length);
    } catch (err) {
      body.destroy();
      res?.destroy();
      if (err instanceof DigestMismatchError || err instanceof SizeInvalidError) {
        this.#o.logger.warn("proxy cache: the upstream sent a blob that does not match its digest; refused, nothing cached", {
          repository,
          digest,
          upstream: upstream.registry,
          err: err.message,
        });
        if (!res) throw new UpstreamUnavailableError("blob", digest, upstream.registry, "it sent bytes that do not match the digest");
        return;
      }
      const reason = upstreamFailure(err);
      this.#o.logger.warn("proxy cache: a blob fetch from the upstream failed; nothing cached", { repository, digest, upstream: upstream.registry, err: reason ?? err });
      if (!res && reason !== undefined) throw new UpstreamUnavailableError("blob", digest, upstream.registry, reason);
      if (!res) throw err;
      return;
    }
    if (held) await write(res, held);
    res?.end();
  }
}
