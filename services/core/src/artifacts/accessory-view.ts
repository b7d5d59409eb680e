import type { ArtifactRecord } from "@berth/registry-store";
import { SBOM_ARTIFACT_TYPE } from "@berth/scanning";

/** Harbor's accessory types by the referrer's `artifactType`; any other referrer is a `subject.accessory`. */
const ACCESSORY_TYPES: Record<string, string> = {
  "application/vnd.dev.cosign.artifact.sig.v1+json": "signature.cosign",
  "application/vnd.cncf.notary.signature": "signature.notation",
  [SBOM_ARTIFACT_TYPE]: "harbor.sbom",
  "application/vnd.nydus.image.manifest.v1+json": "accelerator.nydus",
};

/** Every accessory type (what `q=type=…` accepts). */
export const ACCESSORY_TYPE_NAMES: readonly string[] = [...Object.values(ACCESSORY_TYPES), "subject.accessory"];

/** Harbor's accessory type of a referrer with `artifactType` (as its referrers descriptor carries it). */
export function accessoryType(artifactType: string | undefined | null): string {
  return (artifactType && ACCESSORY_TYPES[artifactType]) || "subject.accessory";
}

/** Harbor's `Accessory` JSON: `accessory` (a manifest whose `subject` is `subject`). */
export function accessoryView(accessory: ArtifactRecord, subject: ArtifactRecord, type: string) {
  return {
    id: accessory.id,
    artifact_id: accessory.id,
    subject_artifact_id: subject.id,
    subject_artifact_digest: subject.digest,
    subject_artifact_repo: subject.repositoryName,
    size: accessory.size,
    digest: accessory.digest,
    type,
    icon: "",
    creation_time: accessory.pushTime.toISOString(),
  };
}
