/**
 * SBOMs as OCI artifacts: the document is a blob, pushed with an OCI image manifest whose
 * `subject` is the scanned image and whose `artifactType` is Harbor's SBOM type, so the referrers
 * API lists it. A new SBOM of the same image replaces the previous ones; `forgetSubject` removes
 * them when their image is deleted.
 */
import { createHash } from "node:crypto";
import { parseManifestReference, type Digest } from "@berth/oci";
import type { RegistryStore } from "@berth/registry-store";
import { SBOM_ARTIFACT_TYPE } from "@berth/scanning";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const EMPTY_CONFIG = { mediaType: "application/vnd.oci.empty.v1+json", digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", size: 2 };
const ACTOR = { name: "berth-scanner" };

const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}` as Digest;

async function* once(b: Buffer): AsyncIterable<Uint8Array> {
  yield b;
}

export class SbomPublisher {
  constructor(private readonly registry: RegistryStore) {}

  /** Pushes `document` (of `mediaType`) as an SBOM of `subject`; returns the SBOM manifest's digest. */
  async publish(repository: string, subject: { digest: string; mediaType: string; size: number }, document: unknown, mediaType: string): Promise<Digest> {
    const bytes = Buffer.from(JSON.stringify(document));
    const digest = sha256(bytes);
    await this.registry.uploads.uploadMonolithic(repository, digest, once(bytes), bytes.length);
    await this.registry.uploads.uploadMonolithic(repository, EMPTY_CONFIG.digest as Digest, once(Buffer.from("{}")), 2);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: SBOM_ARTIFACT_TYPE,
        config: EMPTY_CONFIG,
        layers: [{ mediaType, digest, size: bytes.length, annotations: { "org.opencontainers.image.title": mediaType.includes("spdx") ? "sbom.spdx.json" : "sbom.cdx.json" } }],
        subject,
        annotations: { "created-by": "Berth", "org.opencontainers.image.created": new Date().toISOString(), "org.opencontainers.artifact.description": `SBOM (${mediaType})` },
      }),
    );
    const manifestDigest = sha256(manifest);
    const previous = await this.#sbomsOf(repository, subject.digest);
    await this.registry.manifests.put(repository, parseManifestReference(manifestDigest), manifest, OCI_MANIFEST, ACTOR);
    for (const old of previous) if (old !== manifestDigest) await this.#delete(repository, old);
    return manifestDigest;
  }

  /** Deletes the SBOMs of a deleted image (they live and die with their subject). */
  async forgetSubject(repository: string, subject: string): Promise<number> {
    const sboms = await this.#sbomsOf(repository, subject);
    for (const d of sboms) await this.#delete(repository, d);
    return sboms.length;
  }

  async #sbomsOf(repository: string, subject: string): Promise<string[]> {
    try {
      const result = await this.registry.listings.referrers(repository, subject as Digest, SBOM_ARTIFACT_TYPE);
      return result.index.manifests.map((m) => m.digest);
    } catch {
      return []; // the repository is gone
    }
  }

  async #delete(repository: string, digest: string): Promise<void> {
    try {
      await this.registry.manifests.delete(repository, parseManifestReference(digest), ACTOR);
    } catch {
      /* already gone */
    }
  }
}
