/**
 * `artifact.validated` with `promote_tag` (a DockerHub-format target's option, set only on a
 * `success` callback): adds that tag to the validated artifact through registry-store — unless
 * its project is a proxy cache, which is read-only (the promotion is skipped with a warning).
 */
import type { Logger } from "@berth/logger";
import type { OutboxEventPayload } from "@berth/queue";
import type { ProxyStore } from "@berth/registry-store";
import type { EventSubscriber } from "../events/subscriber.js";

/** The part of registry-store's `ArtifactStore` this needs. */
export interface Tagger {
  createTag(repository: string, digest: string, tag: string, actor?: { name?: string }): Promise<void>;
}

export function promoteTagSubscriber(deps: { tagger: Tagger; proxies: Pick<ProxyStore, "upstreamOf">; logger: Logger }): EventSubscriber {
  const log = deps.logger.child({ module: "promote-tag" });
  return {
    name: "promote-tag",
    types: ["artifact.validated"],
    async handle(event) {
      const p = event.payload as OutboxEventPayload<"artifact.validated">;
      if (!p.promote_tag) return;
      const project = p.repository.split("/")[0]!;
      if (await deps.proxies.upstreamOf(project)) {
        log.warn("promote_tag skipped: the project is a proxy cache (read-only)", { repository: p.repository, digest: p.digest, tag: p.promote_tag });
        return;
      }
      try {
        await deps.tagger.createTag(p.repository, p.digest, p.promote_tag, { name: "webhook-callback" });
      } catch (err) {
        // Already promoted (a re-run, or someone tagged it by hand): nothing left to do.
        if ((err as Error).name === "TagExistsError") return;
        // The artifact was deleted since it was validated: nothing to promote, retrying cannot help.
        if ((err as Error).name === "ManifestUnknownError") {
          log.warn("promote_tag skipped: the validated artifact no longer exists", { repository: p.repository, digest: p.digest, tag: p.promote_tag });
          return;
        }
        throw err;
      }
    },
  };
}
