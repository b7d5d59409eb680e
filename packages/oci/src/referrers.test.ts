import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDigest, sha256Digest } from "./digest.js";
import { DigestInvalidError } from "./domain-errors.js";
import { parseManifest } from "./manifest.js";
import { OCI_CONFIG, OCI_INDEX, OCI_MANIFEST } from "./media-types.js";
import { buildReferrersIndex, effectiveArtifactType, referrersTagForDigest, type ReferrerCandidate } from "./referrers.js";
import * as fx from "./test-fixtures.js";

const subject = parseDigest(fx.dg("oci-image-manifest"));

function candidate(body: string, contentType?: string): ReferrerCandidate {
  return { digest: sha256Digest(body), size: Buffer.byteLength(body), manifest: parseManifest(body, contentType) };
}

const sbom = candidate(fx.sbomArtifact, OCI_MANIFEST);
const notation = candidate(fx.notationSignature, OCI_MANIFEST);
const cosign = candidate(fx.cosignSignature, OCI_MANIFEST);
const bundle = candidate(fx.indexReferrer, OCI_INDEX);
const unrelated = candidate(fx.ociImage, OCI_MANIFEST);
const otherSubject = candidate(
  fx.mutate(fx.sbomArtifact, (d) => (d["subject"]["digest"] = fx.dg("other"))),
  OCI_MANIFEST,
);

describe("effectiveArtifactType", () => {
  it("prefers artifactType, falls back to config mediaType, omits for an index", () => {
    assert.equal(effectiveArtifactType(sbom.manifest), "application/spdx+json");
    assert.equal(effectiveArtifactType(cosign.manifest), OCI_CONFIG);
    assert.equal(effectiveArtifactType(bundle.manifest), undefined);
  });
});

describe("buildReferrersIndex", () => {
  const all = [sbom, notation, cosign, bundle, unrelated, otherSubject, sbom];

  it("lists manifests and indexes whose subject matches, with artifactType and annotations", () => {
    const { index, filtersApplied } = buildReferrersIndex(subject, all);
    assert.deepEqual(filtersApplied, []);
    assert.equal(index.schemaVersion, 2);
    assert.equal(index.mediaType, "application/vnd.oci.image.index.v1+json");
    assert.deepEqual(index.manifests, [
      {
        mediaType: OCI_MANIFEST,
        digest: sbom.digest,
        size: sbom.size,
        artifactType: "application/spdx+json",
        annotations: { "org.opencontainers.image.created": "2024-05-02T08:30:00Z" },
      },
      {
        mediaType: OCI_MANIFEST,
        digest: notation.digest,
        size: notation.size,
        artifactType: "application/vnd.cncf.notary.signature",
        annotations: { "io.cncf.notary.x509chain.thumbprint#S256": '["a1b2"]' },
      },
      { mediaType: OCI_MANIFEST, digest: cosign.digest, size: cosign.size, artifactType: OCI_CONFIG },
      { mediaType: OCI_INDEX, digest: bundle.digest, size: bundle.size, annotations: { "org.example.kind": "bundle" } },
    ]);
  });

  it("filters by artifactType and reports the filter", () => {
    const { index, filtersApplied } = buildReferrersIndex(subject, all, {
      artifactType: "application/vnd.cncf.notary.signature",
    });
    assert.deepEqual(filtersApplied, ["artifactType"]);
    assert.deepEqual(index.manifests.map((d) => d.digest), [notation.digest]);
  });

  it("matches the filter case-insensitively and against the config fallback", () => {
    assert.equal(buildReferrersIndex(subject, all, { artifactType: "Application/SPDX+json" }).index.manifests.length, 1);
    assert.deepEqual(
      buildReferrersIndex(subject, all, { artifactType: OCI_CONFIG }).index.manifests.map((d) => d.digest),
      [cosign.digest],
    );
  });

  it("returns an empty list, not an error, when nothing matches", () => {
    assert.deepEqual(buildReferrersIndex(subject, [], {}).index.manifests, []);
    const filtered = buildReferrersIndex(subject, all, { artifactType: "application/x-none" });
    assert.deepEqual(filtered.index.manifests, []);
    assert.deepEqual(filtered.filtersApplied, ["artifactType"]);
  });

  it("treats an empty artifactType parameter as no filter", () => {
    assert.deepEqual(buildReferrersIndex(subject, all, { artifactType: "" }).filtersApplied, []);
  });

  it("serialises to a valid OCI index that parses back", () => {
    const body = JSON.stringify(buildReferrersIndex(subject, all).index);
    const parsed = parseManifest(body, OCI_INDEX);
    assert.equal(parsed.manifests.length, 4);
  });
});

describe("referrersTagForDigest", () => {
  it("follows the spec's examples", () => {
    const a64 = "a".repeat(64);
    assert.equal(referrersTagForDigest(`sha256:${a64}`), `sha256-${a64}`);
    assert.equal(referrersTagForDigest(`sha512:${"a".repeat(128)}`), `sha512-${a64}`);
    assert.equal(
      referrersTagForDigest(
        "test+algorithm+using+algorithm+separators+and+lots+of+characters+to+excercise+overall+truncation:alsoSome=InTheEncodedSectionToShowHyphenReplacementAndLotsAndLotsOfCharactersToExcerciseEncodedTruncation",
      ),
      "test-algorithm-using-algorithm-s-alsoSome-InTheEncodedSectionToShowHyphenReplacementAndLotsAndLot",
    );
  });

  it("rejects strings without algorithm:encoded", () => {
    for (const v of ["", "sha256", ":abc", "sha256:"]) assert.throws(() => referrersTagForDigest(v), DigestInvalidError);
  });
});
