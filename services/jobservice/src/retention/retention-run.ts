/**
 * One repository of a retention execution (one task): its artifacts — those of the top level;
 * an index's children and referrers go with what they belong to — are evaluated against the
 * policy (`@berth/retention`), each decision is written to the task's log, and unless the
 * execution is a dry run the artifacts not retained are deleted by digest through registry-store,
 * the same path as the registry's DELETE (so immutability, quota and events hold). A stop request
 * is honoured between deletes.
 */
import { evaluateRetention, type RetentionCandidate, type RetentionRule } from "@berth/retention";
import { parseManifestReference } from "@berth/oci";
import { ManifestReferencedError, ManifestUnknownError, TagImmutableError, type ArtifactRecord, type RegistryStore } from "@berth/registry-store";

/** Who deletes, in the registry's events and audit log. */
export const RETENTION_ACTOR = "retention";

const PAGE = 100;

export interface RepositoryRunResult {
  total: number;
  retained: number;
  deleted: number;
  stopped: boolean;
}

export interface RepositoryRunOptions {
  registry: RegistryStore;
  rules: readonly RetentionRule[];
  repository: string;
  dryRun: boolean;
  now: Date;
  log(line: string): Promise<void>;
  stopRequested(): Promise<boolean>;
}

async function allArtifacts(registry: RegistryStore, repository: string): Promise<ArtifactRecord[]> {
  const out: ArtifactRecord[] = [];
  for (let skip = 0; ; skip += PAGE) {
    const { items, total } = await registry.artifacts.listArtifacts(repository, { skip, take: PAGE });
    out.push(...items);
    if (items.length < PAGE || out.length >= total) return out;
  }
}

const label = (c: RetentionCandidate) => `${c.digest} [${c.tags.join(", ") || "untagged"}]`;

export async function runRepository(o: RepositoryRunOptions): Promise<RepositoryRunResult> {
  const artifacts = await allArtifacts(o.registry, o.repository);
  const digests = new Set(artifacts.map((a) => a.digest as string));
  const children = new Set(artifacts.flatMap((a) => a.references.map((r) => r.childDigest)));
  const topLevel = artifacts.filter((a) => {
    const subject = (a.manifest as { subject?: { digest?: string } }).subject?.digest;
    return !children.has(a.digest) && !(subject !== undefined && digests.has(subject));
  });
  const candidates: RetentionCandidate[] = [];
  for (const a of topLevel) {
    const tags = a.tags.map((t) => t.name);
    const immutable = tags.length > 0 && (await o.registry.artifacts.immutableTag(o.repository, tags)) !== undefined;
    candidates.push({ digest: a.digest, tags, pushedAt: a.pushTime, pulledAt: a.pullTime, immutable });
  }
  const name = o.repository.slice(o.repository.indexOf("/") + 1);
  const decisions = evaluateRetention(o.rules, name, candidates, o.now);
  let retained = 0;
  let deleted = 0;
  for (const d of decisions) {
    if (d.retained) {
      retained++;
      await o.log(`retain ${label(d.candidate)}: ${d.reasons.join(", ")}`);
    }
  }
  for (const d of decisions) {
    if (d.retained) continue;
    if (o.dryRun) {
      deleted++;
      await o.log(`would delete ${label(d.candidate)}`);
      continue;
    }
    if (await o.stopRequested()) {
      await o.log("stopped on request");
      return { total: decisions.length, retained, deleted, stopped: true };
    }
    try {
      await o.registry.manifests.delete(o.repository, parseManifestReference(d.candidate.digest), { name: RETENTION_ACTOR });
      deleted++;
      await o.log(`deleted ${label(d.candidate)}`);
    } catch (err) {
      if (err instanceof TagImmutableError || err instanceof ManifestReferencedError) {
        retained++;
        await o.log(`kept ${label(d.candidate)}: ${err.message}`);
      } else if (err instanceof ManifestUnknownError) {
        await o.log(`already gone: ${label(d.candidate)}`);
      } else throw err;
    }
  }
  return { total: decisions.length, retained, deleted, stopped: false };
}
