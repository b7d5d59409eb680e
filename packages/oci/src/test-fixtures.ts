// Real-world shaped manifests for the unit tests. Digests are sha256 of a label so they are valid
// and stable; sizes are those of the originals the shapes were taken from.
import { sha256Digest } from "./digest.js";
import { EMPTY_DESCRIPTOR } from "./media-types.js";

/** A valid sha256 digest derived from `label`. */
export const dg = (label: string): string => sha256Digest(label);

/** `docker push` of a single-platform image: schema 2, 3-space indentation, repeated empty layer. */
export const dockerSchema2 = JSON.stringify(
  {
    schemaVersion: 2,
    mediaType: "application/vnd.docker.distribution.manifest.v2+json",
    config: { mediaType: "application/vnd.docker.container.image.v1+json", size: 1472, digest: dg("config") },
    layers: [
      { mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", size: 3408729, digest: dg("alpine-base") },
      { mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", size: 32, digest: dg("empty-layer") },
      { mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", size: 1048, digest: dg("app") },
      { mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", size: 32, digest: dg("empty-layer") },
    ],
  },
  null,
  3,
);

/** Windows image: a foreign base layer with `urls`. */
export const dockerWindows = JSON.stringify({
  schemaVersion: 2,
  mediaType: "application/vnd.docker.distribution.manifest.v2+json",
  config: { mediaType: "application/vnd.docker.container.image.v1+json", size: 2330, digest: dg("win-config") },
  layers: [
    {
      mediaType: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
      size: 1653075519,
      digest: dg("win-base"),
      urls: ["https://mcr.microsoft.com/v2/windows/servercore/blobs/" + dg("win-base")],
    },
    { mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", size: 1247, digest: dg("win-app") },
  ],
});

/** `docker manifest push` of a manifest list. */
export const dockerManifestList = JSON.stringify({
  schemaVersion: 2,
  mediaType: "application/vnd.docker.distribution.manifest.list.v2+json",
  manifests: [
    {
      mediaType: "application/vnd.docker.distribution.manifest.v2+json",
      size: 528,
      digest: dg("amd64"),
      platform: { architecture: "amd64", os: "linux" },
    },
    {
      mediaType: "application/vnd.docker.distribution.manifest.v2+json",
      size: 528,
      digest: dg("arm64"),
      platform: { architecture: "arm64", os: "linux", variant: "v8" },
    },
  ],
});

/** `docker buildx build --platform linux/amd64,linux/arm64,windows/amd64 --push` with attestations. */
export const ociIndexMultiArch = JSON.stringify({
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.index.v1+json",
  manifests: [
    {
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest: dg("oci-amd64"),
      size: 673,
      platform: { architecture: "amd64", os: "linux" },
    },
    {
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest: dg("oci-arm64"),
      size: 673,
      platform: { architecture: "arm64", os: "linux", variant: "v8" },
    },
    {
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest: dg("oci-windows"),
      size: 701,
      platform: { architecture: "amd64", os: "windows", "os.version": "10.0.20348.2340" },
    },
    {
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest: dg("attestation"),
      size: 839,
      annotations: {
        "vnd.docker.reference.digest": dg("oci-amd64"),
        "vnd.docker.reference.type": "attestation-manifest",
      },
      platform: { architecture: "unknown", os: "unknown" },
    },
  ],
  annotations: { "org.opencontainers.image.created": "2024-05-01T10:00:00Z" },
});

/** OCI image manifest as pushed by buildkit with `oci-mediatypes=true`. */
export const ociImage = JSON.stringify({
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: dg("oci-config"), size: 1471 },
  layers: [
    { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: dg("oci-layer-1"), size: 3623807 },
    { mediaType: "application/vnd.oci.image.layer.v1.tar+zstd", digest: dg("oci-layer-2"), size: 120 },
  ],
});

/** `oras attach --artifact-type application/spdx+json`: empty config, artifactType, subject. */
export const sbomArtifact = JSON.stringify({
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  artifactType: "application/spdx+json",
  config: EMPTY_DESCRIPTOR,
  layers: [
    {
      mediaType: "application/spdx+json",
      digest: dg("sbom"),
      size: 81231,
      annotations: { "org.opencontainers.image.title": "sbom.spdx.json" },
    },
  ],
  subject: { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: dg("oci-image-manifest"), size: 673 },
  annotations: { "org.opencontainers.image.created": "2024-05-02T08:30:00Z" },
});

/** Notation signature: empty config, artifactType, subject. */
export const notationSignature = JSON.stringify({
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  artifactType: "application/vnd.cncf.notary.signature",
  config: { mediaType: "application/vnd.oci.empty.v1+json", digest: EMPTY_DESCRIPTOR.digest, size: 2 },
  layers: [{ mediaType: "application/jose+json", digest: dg("jws"), size: 2062 }],
  subject: { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: dg("oci-image-manifest"), size: 673 },
  annotations: { "io.cncf.notary.x509chain.thumbprint#S256": '["a1b2"]' },
});

/** Cosign signature (tag `sha256-<hex>.sig`), no artifactType: referrers fall back to config type. */
export const cosignSignature = JSON.stringify({
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  config: { mediaType: "application/vnd.oci.image.config.v1+json", size: 233, digest: dg("cosign-config") },
  layers: [
    {
      mediaType: "application/vnd.dev.cosign.simplesigning.v1+json",
      size: 247,
      digest: dg("cosign-payload"),
      annotations: { "dev.cosignproject.cosign/signature": "MEUCIQDx…" },
    },
  ],
  subject: { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: dg("oci-image-manifest"), size: 673 },
});

/** `helm push` (oras-go): no `mediaType` field in the body, Helm config type. */
export const helmChart = JSON.stringify({
  schemaVersion: 2,
  config: { mediaType: "application/vnd.cncf.helm.config.v1+json", digest: dg("helm-config"), size: 117 },
  layers: [
    { mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip", digest: dg("helm-chart"), size: 3562 },
  ],
  annotations: {
    "org.opencontainers.image.title": "mychart",
    "org.opencontainers.image.version": "0.1.0",
  },
});

/** An index with a subject and artifactType (e.g. a signed multi-arch attestation bundle). */
export const indexReferrer = JSON.stringify({
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.index.v1+json",
  manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: dg("bundle-1"), size: 400 }],
  subject: { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: dg("oci-image-manifest"), size: 673 },
  annotations: { "org.example.kind": "bundle" },
});

/** A signed Docker schema 1 manifest, as old registries and docker < 1.10 produced. */
export const schema1Signed = JSON.stringify({
  schemaVersion: 1,
  name: "library/hello-world",
  tag: "latest",
  architecture: "amd64",
  fsLayers: [{ blobSum: dg("s1-layer") }],
  history: [{ v1Compatibility: '{"id":"e45a5af57b00","created":"2016-01-01T00:00:00Z"}' }],
  signatures: [
    {
      header: { jwk: { crv: "P-256", kid: "AAAA:BBBB", kty: "EC", x: "x", y: "y" }, alg: "ES256" },
      signature: "c2lnbmF0dXJl",
      protected: "eyJmb3JtYXRMZW5ndGgiOjY2MjgsImZvcm1hdFRhaWwiOiJDbjAiLCJ0aW1lIjoiMjAxNi0wMS0wMVQwMDowMDowMFoifQ",
    },
  ],
});

/** Parses a fixture, applies `edit`, re-serialises: for invalid variants. */
export function mutate(json: string, edit: (doc: Record<string, any>) => void): string {
  const doc = JSON.parse(json) as Record<string, any>;
  edit(doc);
  return JSON.stringify(doc);
}
