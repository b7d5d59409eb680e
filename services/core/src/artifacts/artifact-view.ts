import type { ArtifactRecord } from "@berth/registry-store";
import { labelView } from "../labels/label-store.js";

/** Harbor's zero time, sent for artifacts never pulled. */
const ZERO_TIME = "0001-01-01T00:00:00.000Z";

const TYPES: Record<string, string> = {
  "application/vnd.oci.image.config.v1+json": "IMAGE",
  "application/vnd.docker.container.image.v1+json": "IMAGE",
  "application/vnd.oci.image.index.v1+json": "IMAGE",
  "application/vnd.docker.distribution.manifest.list.v2+json": "IMAGE",
  "application/vnd.cncf.helm.config.v1+json": "CHART",
  "application/vnd.cnab.config.v1+json": "CNAB",
  "application/vnd.cncf.openpolicyagent.config.v1+json": "OPA",
};

/** Harbor's artifact type: IMAGE, CHART, CNAB, … or UNKNOWN. */
export function artifactType(a: ArtifactRecord): string {
  return TYPES[a.mediaType] ?? "UNKNOWN";
}

/** Harbor's `Artifact` JSON. */
export function artifactView(a: ArtifactRecord, options: { withTags: boolean; withLabels?: boolean; immutableTags?: ReadonlySet<string>; extraAttrs: Record<string, unknown> | null }) {
  return {
    id: a.id,
    type: artifactType(a),
    media_type: a.mediaType,
    manifest_media_type: a.manifestMediaType,
    artifact_type: a.artifactType ?? a.mediaType,
    project_id: a.projectId ?? 0,
    repository_id: a.repositoryId,
    repository_name: a.repositoryName,
    digest: a.digest,
    size: a.size,
    icon: "",
    push_time: a.pushTime.toISOString(),
    pull_time: a.pullTime?.toISOString() ?? ZERO_TIME,
    pull_count: a.pullCount,
    extra_attrs: options.extraAttrs,
    annotations: (a.manifest as { annotations?: Record<string, string> }).annotations ?? null,
    references: a.references.length
      ? a.references.map((r) => ({ parent_id: r.parentId, child_id: r.childId, child_digest: r.childDigest, platform: r.platform, annotations: null, urls: null }))
      : null,
    tags: options.withTags
      ? a.tags.map((t) => ({
          id: t.id,
          repository_id: t.repositoryId,
          artifact_id: t.artifactId,
          name: t.name,
          push_time: t.pushTime.toISOString(),
          pull_time: t.pullTime?.toISOString() ?? ZERO_TIME,
          immutable: options.immutableTags?.has(t.name) ?? false,
        }))
      : null,
    labels: options.withLabels ? a.labels.map(labelView) : null,
    accessories: null,
    addition_links: null,
    validation: null,
  };
}
