import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DigestInvalidError,
  ManifestInvalidError,
  ManifestTooLargeError,
  ManifestUnsupportedMediaTypeError,
  ManifestUnsupportedSchemaError,
  UnsupportedDigestAlgorithmError,
} from "./domain-errors.js";
import { MAX_MANIFEST_BYTES, assertManifestSize, parseManifest, referencedBlobs, referencedManifests } from "./manifest.js";
import {
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  DOCKER_SCHEMA1_MANIFEST,
  DOCKER_SCHEMA1_SIGNED_MANIFEST,
  EMPTY_DESCRIPTOR,
  HELM_CONFIG,
  OCI_INDEX,
  OCI_MANIFEST,
} from "./media-types.js";
import * as fx from "./test-fixtures.js";

/** Asserts a ManifestInvalidError (or subclass) whose path/message matches. */
function assertInvalid(fn: () => unknown, path: string | undefined, reason?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ManifestInvalidError, `expected ManifestInvalidError, got ${String(e)}`);
    assert.equal(e.path, path);
    if (reason) assert.match(e.message, reason);
    return true;
  });
}

describe("parseManifest: Docker schema 2", () => {
  it("parses a docker push manifest", () => {
    const m = parseManifest(Buffer.from(fx.dockerSchema2), DOCKER_MANIFEST);
    assert.equal(m.mediaType, DOCKER_MANIFEST);
    assert.equal(m.schemaVersion, 2);
    assert.equal(m.config?.digest, fx.dg("config"));
    assert.equal(m.layers.length, 4);
    assert.deepEqual(m.manifests, []);
    assert.equal(m.subject, undefined);
  });

  it("ignores Content-Type parameters and case", () => {
    const m = parseManifest(fx.dockerSchema2, "Application/vnd.docker.distribution.manifest.v2+json; charset=utf-8");
    assert.equal(m.mediaType, DOCKER_MANIFEST);
  });

  it("takes the type from the body when Content-Type is absent or generic", () => {
    assert.equal(parseManifest(fx.dockerSchema2).mediaType, DOCKER_MANIFEST);
    assert.equal(parseManifest(fx.dockerSchema2, "application/json").mediaType, DOCKER_MANIFEST);
    assert.equal(parseManifest(fx.dockerSchema2, "application/octet-stream").mediaType, DOCKER_MANIFEST);
  });

  it("requires the body mediaType for Docker types", () => {
    assertInvalid(() => parseManifest(fx.mutate(fx.dockerSchema2, (d) => delete d["mediaType"]), DOCKER_MANIFEST), "mediaType", /required/);
  });

  it("rejects a body mediaType that disagrees with Content-Type", () => {
    assertInvalid(() => parseManifest(fx.dockerSchema2, OCI_MANIFEST), "mediaType", /does not match Content-Type/);
    assertInvalid(() => parseManifest(fx.ociImage, DOCKER_MANIFEST), "mediaType", /does not match/);
    assertInvalid(() => parseManifest(fx.dockerManifestList, OCI_INDEX), "mediaType", /does not match/);
  });

  it("accepts a foreign layer with urls and can skip it in referencedBlobs", () => {
    const m = parseManifest(fx.dockerWindows, DOCKER_MANIFEST);
    assert.equal(m.layers[0]?.urls?.length, 1);
    assert.deepEqual(
      referencedBlobs(m).map((d) => d.digest),
      [fx.dg("win-config"), fx.dg("win-base"), fx.dg("win-app")],
    );
    assert.deepEqual(
      referencedBlobs(m, { skipNondistributable: true }).map((d) => d.digest),
      [fx.dg("win-config"), fx.dg("win-app")],
    );
  });

  it("ignores subject/artifactType on Docker types (not part of schema 2)", () => {
    const body = fx.mutate(fx.dockerSchema2, (d) => {
      d["subject"] = { mediaType: OCI_MANIFEST, digest: fx.dg("x"), size: 1 };
      d["artifactType"] = "application/x-foo";
    });
    const m = parseManifest(body, DOCKER_MANIFEST);
    assert.equal(m.subject, undefined);
    assert.equal(m.artifactType, undefined);
  });
});

describe("parseManifest: Docker manifest list", () => {
  it("parses a manifest list", () => {
    const m = parseManifest(fx.dockerManifestList, DOCKER_MANIFEST_LIST);
    assert.equal(m.mediaType, DOCKER_MANIFEST_LIST);
    assert.equal(m.config, undefined);
    assert.deepEqual(m.layers, []);
    assert.deepEqual(m.manifests[1]?.platform, { architecture: "arm64", os: "linux", variant: "v8" });
    assert.deepEqual(referencedBlobs(m), []);
    assert.deepEqual(referencedManifests(m).map((d) => d.digest), [fx.dg("amd64"), fx.dg("arm64")]);
  });
});

describe("parseManifest: OCI image manifest", () => {
  it("parses a buildkit OCI manifest", () => {
    const m = parseManifest(fx.ociImage, OCI_MANIFEST);
    assert.equal(m.mediaType, OCI_MANIFEST);
    assert.equal(m.layers[1]?.mediaType, "application/vnd.oci.image.layer.v1.tar+zstd");
    assert.deepEqual(referencedManifests(m), []);
  });

  it("accepts an OCI manifest without body mediaType (helm push) and any config type", () => {
    const m = parseManifest(fx.helmChart, OCI_MANIFEST);
    assert.equal(m.mediaType, OCI_MANIFEST);
    assert.equal(m.config?.mediaType, HELM_CONFIG);
    assert.equal(m.annotations?.["org.opencontainers.image.version"], "0.1.0");
  });

  it("infers an OCI manifest from shape when neither header nor mediaType say", () => {
    assert.equal(parseManifest(fx.helmChart).mediaType, OCI_MANIFEST);
    assert.equal(parseManifest(fx.mutate(fx.ociIndexMultiArch, (d) => delete d["mediaType"])).mediaType, OCI_INDEX);
    assertInvalid(() => parseManifest('{"schemaVersion":2}'), undefined, /cannot determine/);
  });

  it("parses an artifact with artifactType, empty config and subject (oras attach)", () => {
    const m = parseManifest(fx.sbomArtifact, OCI_MANIFEST);
    assert.equal(m.artifactType, "application/spdx+json");
    assert.deepEqual(m.config, EMPTY_DESCRIPTOR);
    assert.equal(m.subject?.digest, fx.dg("oci-image-manifest"));
    assert.equal(m.layers[0]?.annotations?.["org.opencontainers.image.title"], "sbom.spdx.json");
    assert.equal(m.annotations?.["org.opencontainers.image.created"], "2024-05-02T08:30:00Z");
  });

  it("does not count the subject as a referenced blob or manifest", () => {
    const m = parseManifest(fx.sbomArtifact, OCI_MANIFEST);
    assert.deepEqual(referencedBlobs(m).map((d) => d.digest), [EMPTY_DESCRIPTOR.digest, fx.dg("sbom")]);
    assert.deepEqual(referencedManifests(m), []);
  });

  it("parses notation and cosign signatures", () => {
    assert.equal(parseManifest(fx.notationSignature, OCI_MANIFEST).artifactType, "application/vnd.cncf.notary.signature");
    const cosign = parseManifest(fx.cosignSignature, OCI_MANIFEST);
    assert.equal(cosign.artifactType, undefined);
    assert.equal(cosign.layers[0]?.mediaType, "application/vnd.dev.cosign.simplesigning.v1+json");
  });

  it("treats an empty artifactType as absent", () => {
    const m = parseManifest(fx.mutate(fx.sbomArtifact, (d) => (d["artifactType"] = "")), OCI_MANIFEST);
    assert.equal(m.artifactType, undefined);
  });

  it("accepts a manifest without layers (artifact) as empty layers", () => {
    const m = parseManifest(fx.mutate(fx.sbomArtifact, (d) => delete d["layers"]), OCI_MANIFEST);
    assert.deepEqual(m.layers, []);
  });

  it("de-duplicates referenced blobs, config first", () => {
    const m = parseManifest(fx.dockerSchema2, DOCKER_MANIFEST);
    assert.deepEqual(
      referencedBlobs(m).map((d) => d.digest),
      [fx.dg("config"), fx.dg("alpine-base"), fx.dg("empty-layer"), fx.dg("app")],
    );
  });

  it("drops unknown fields from descriptors", () => {
    const body = fx.mutate(fx.ociImage, (d) => (d["config"]["x-extra"] = true));
    assert.equal("x-extra" in (parseManifest(body, OCI_MANIFEST).config ?? {}), false);
  });
});

describe("parseManifest: OCI image index", () => {
  it("parses a buildx multi-arch index with attestations", () => {
    const m = parseManifest(fx.ociIndexMultiArch, OCI_INDEX);
    assert.equal(m.mediaType, OCI_INDEX);
    assert.equal(m.manifests.length, 4);
    assert.equal(m.manifests[2]?.platform?.["os.version"], "10.0.20348.2340");
    assert.equal(m.manifests[3]?.annotations?.["vnd.docker.reference.type"], "attestation-manifest");
    assert.equal(referencedManifests(m).length, 4);
    assert.deepEqual(referencedBlobs(m), []);
  });

  it("parses an index with subject and no artifactType", () => {
    const m = parseManifest(fx.indexReferrer, OCI_INDEX);
    assert.equal(m.subject?.digest, fx.dg("oci-image-manifest"));
    assert.equal(m.artifactType, undefined);
  });

  it("requires manifests", () => {
    assertInvalid(() => parseManifest(fx.mutate(fx.ociIndexMultiArch, (d) => delete d["manifests"]), OCI_INDEX), "manifests", /required/);
    assertInvalid(() => parseManifest(fx.mutate(fx.ociIndexMultiArch, (d) => (d["manifests"] = {})), OCI_INDEX), "manifests");
  });

  it("accepts an empty index", () => {
    assert.deepEqual(parseManifest(`{"schemaVersion":2,"mediaType":"${OCI_INDEX}","manifests":[]}`, OCI_INDEX).manifests, []);
  });

  it("validates platforms", () => {
    const bad = fx.mutate(fx.ociIndexMultiArch, (d) => delete d["manifests"][0]["platform"]["os"]);
    assertInvalid(() => parseManifest(bad, OCI_INDEX), "manifests[0].platform.os");
    const badFeatures = fx.mutate(fx.ociIndexMultiArch, (d) => (d["manifests"][0]["platform"]["os.features"] = "win32k"));
    assertInvalid(() => parseManifest(badFeatures, OCI_INDEX), "manifests[0].platform.os.features");
  });
});

describe("parseManifest: content confusion (CVE-2021-41190)", () => {
  it("rejects an image manifest carrying manifests", () => {
    assertInvalid(() => parseManifest(fx.mutate(fx.ociImage, (d) => (d["manifests"] = [])), OCI_MANIFEST), "manifests");
  });
  it("rejects an index carrying config or layers", () => {
    const withConfig = fx.mutate(fx.ociIndexMultiArch, (d) => (d["config"] = EMPTY_DESCRIPTOR));
    assertInvalid(() => parseManifest(withConfig, OCI_INDEX), "config");
    const withLayers = fx.mutate(fx.ociIndexMultiArch, (d) => (d["layers"] = []));
    assertInvalid(() => parseManifest(withLayers, OCI_INDEX), "layers");
  });
});

describe("parseManifest: schema 1 and unsupported types", () => {
  for (const ct of [DOCKER_SCHEMA1_MANIFEST, DOCKER_SCHEMA1_SIGNED_MANIFEST]) {
    it(`rejects Content-Type ${ct}`, () => {
      assert.throws(() => parseManifest(fx.schema1Signed, ct), (e: unknown) => {
        assert.ok(e instanceof ManifestUnsupportedSchemaError);
        assert.ok(e instanceof ManifestInvalidError, "maps to MANIFEST_INVALID by default");
        assert.match(e.message, /schema 1\) is not supported/);
        return true;
      });
    });
  }

  it("rejects schemaVersion 1 under any Content-Type", () => {
    for (const ct of [undefined, "application/json", OCI_MANIFEST, DOCKER_MANIFEST]) {
      assert.throws(() => parseManifest(fx.schema1Signed, ct), ManifestUnsupportedSchemaError);
    }
  });

  it("rejects a schema 1 mediaType in the body", () => {
    const body = fx.mutate(fx.dockerSchema2, (d) => (d["mediaType"] = DOCKER_SCHEMA1_MANIFEST));
    assert.throws(() => parseManifest(body), ManifestUnsupportedSchemaError);
  });

  it("rejects a schema 1 Content-Type before looking at the body", () => {
    assert.throws(() => parseManifest("not json", DOCKER_SCHEMA1_SIGNED_MANIFEST), ManifestUnsupportedSchemaError);
  });

  it("rejects non-manifest Content-Types", () => {
    for (const ct of ["application/vnd.oci.image.config.v1+json", "text/html", "application/x-www-form-urlencoded"]) {
      assert.throws(() => parseManifest(fx.ociImage, ct), ManifestUnsupportedMediaTypeError);
    }
  });

  it("rejects a non-manifest body mediaType", () => {
    const body = fx.mutate(fx.ociImage, (d) => (d["mediaType"] = "application/vnd.oci.artifact.manifest.v1+json"));
    assert.throws(() => parseManifest(body), ManifestUnsupportedMediaTypeError);
    assertInvalid(() => parseManifest(body, OCI_MANIFEST), "mediaType", /does not match/);
  });

  it("requires schemaVersion 2", () => {
    for (const v of [undefined, 3, "2", 0]) {
      const body = fx.mutate(fx.ociImage, (d) => (d["schemaVersion"] = v));
      assertInvalid(() => parseManifest(body, OCI_MANIFEST), "schemaVersion");
    }
  });
});

describe("parseManifest: body and descriptor validation", () => {
  it("rejects non-JSON, non-object and invalid UTF-8 bodies", () => {
    assertInvalid(() => parseManifest("{", OCI_MANIFEST), undefined, /not valid JSON/);
    assertInvalid(() => parseManifest("[]", OCI_MANIFEST), undefined, /JSON object/);
    assertInvalid(() => parseManifest("null", OCI_MANIFEST), undefined, /JSON object/);
    assertInvalid(() => parseManifest(new Uint8Array([0x7b, 0xff, 0x7d]), OCI_MANIFEST), undefined, /UTF-8/);
    assertInvalid(() => parseManifest("", OCI_MANIFEST), undefined, /not valid JSON/);
  });

  it("requires config on image manifests", () => {
    assertInvalid(() => parseManifest(fx.mutate(fx.ociImage, (d) => delete d["config"]), OCI_MANIFEST), "config", /required/);
    assertInvalid(() => parseManifest(fx.mutate(fx.ociImage, (d) => (d["config"] = "x")), OCI_MANIFEST), "config");
  });

  it("rejects layers that are not an array", () => {
    assertInvalid(() => parseManifest(fx.mutate(fx.ociImage, (d) => (d["layers"] = {})), OCI_MANIFEST), "layers");
  });

  const badDescriptors: Array<[string, (l: Record<string, unknown>) => void, string]> = [
    ["missing mediaType", (l) => delete l["mediaType"], "layers[0].mediaType"],
    ["empty mediaType", (l) => (l["mediaType"] = ""), "layers[0].mediaType"],
    ["mediaType with parameters", (l) => (l["mediaType"] = "application/json; charset=utf-8"), "layers[0].mediaType"],
    ["mediaType without subtype", (l) => (l["mediaType"] = "application"), "layers[0].mediaType"],
    ["numeric mediaType", (l) => (l["mediaType"] = 5), "layers[0].mediaType"],
    ["missing digest", (l) => delete l["digest"], "layers[0].digest"],
    ["short digest", (l) => (l["digest"] = "sha256:abc"), "layers[0].digest"],
    ["uppercase digest", (l) => (l["digest"] = `sha256:${"A".repeat(64)}`), "layers[0].digest"],
    ["unsupported algorithm", (l) => (l["digest"] = `sha384:${"a".repeat(96)}`), "layers[0].digest"],
    ["missing size", (l) => delete l["size"], "layers[0].size"],
    ["negative size", (l) => (l["size"] = -1), "layers[0].size"],
    ["fractional size", (l) => (l["size"] = 1.5), "layers[0].size"],
    ["string size", (l) => (l["size"] = "10"), "layers[0].size"],
    ["unsafe size", (l) => (l["size"] = 2 ** 60), "layers[0].size"],
    ["urls not an array", (l) => (l["urls"] = "https://x"), "layers[0].urls"],
    ["relative url", (l) => (l["urls"] = ["/v2/x"]), "layers[0].urls[0]"],
    ["annotation not a string", (l) => (l["annotations"] = { a: 1 }), 'layers[0].annotations["a"]'],
    ["annotations not an object", (l) => (l["annotations"] = ["a"]), "layers[0].annotations"],
    ["invalid artifactType", (l) => (l["artifactType"] = "not a type"), "layers[0].artifactType"],
    ["data not base64", (l) => (l["data"] = "!!"), "layers[0].data"],
    ["data of wrong size", (l) => (l["data"] = "e30="), "layers[0].data"],
  ];
  for (const [why, edit, path] of badDescriptors) {
    it(`rejects a descriptor with ${why}`, () => {
      const body = fx.mutate(fx.ociImage, (d) => edit(d["layers"][0]));
      assertInvalid(() => parseManifest(body, OCI_MANIFEST), path);
    });
  }

  it("keeps the digest error as the cause", () => {
    const body = fx.mutate(fx.ociImage, (d) => (d["config"]["digest"] = `sha384:${"a".repeat(96)}`));
    assert.throws(
      () => parseManifest(body, OCI_MANIFEST),
      (e: unknown) => e instanceof ManifestInvalidError && e.cause instanceof UnsupportedDigestAlgorithmError,
    );
    const short = fx.mutate(fx.ociImage, (d) => (d["config"]["digest"] = "sha256:0"));
    assert.throws(
      () => parseManifest(short, OCI_MANIFEST),
      (e: unknown) => e instanceof ManifestInvalidError && e.cause instanceof DigestInvalidError,
    );
  });

  it("checks embedded data against the digest", () => {
    const wrong = fx.mutate(fx.sbomArtifact, (d) => (d["config"]["data"] = "e10="));
    assertInvalid(() => parseManifest(wrong, OCI_MANIFEST), "config.data", /does not match digest/);
  });

  it("validates the subject descriptor", () => {
    const body = fx.mutate(fx.sbomArtifact, (d) => (d["subject"]["digest"] = "nope"));
    assertInvalid(() => parseManifest(body, OCI_MANIFEST), "subject.digest");
  });

  it("validates top-level annotations and artifactType", () => {
    assertInvalid(
      () => parseManifest(fx.mutate(fx.sbomArtifact, (d) => (d["annotations"] = { k: null })), OCI_MANIFEST),
      'annotations["k"]',
    );
    assertInvalid(
      () => parseManifest(fx.mutate(fx.sbomArtifact, (d) => (d["artifactType"] = 42)), OCI_MANIFEST),
      "artifactType",
    );
  });
});

describe("manifest size limit", () => {
  it("defaults to 4 MiB", () => {
    assert.equal(MAX_MANIFEST_BYTES, 4 * 1024 * 1024);
    assert.doesNotThrow(() => assertManifestSize(MAX_MANIFEST_BYTES));
    assert.throws(() => assertManifestSize(MAX_MANIFEST_BYTES + 1), ManifestTooLargeError);
  });

  it("is enforced by parseManifest before parsing, with a configurable limit", () => {
    assert.throws(() => parseManifest(fx.ociImage, OCI_MANIFEST, { maxBytes: 100 }), (e: unknown) => {
      assert.ok(e instanceof ManifestTooLargeError);
      assert.equal(e.limit, 100);
      assert.equal(e.size, Buffer.byteLength(fx.ociImage));
      return true;
    });
    const huge = " ".repeat(MAX_MANIFEST_BYTES) + fx.ociImage;
    assert.throws(() => parseManifest(huge, OCI_MANIFEST), ManifestTooLargeError);
  });

  it("counts bytes, not UTF-16 code units", () => {
    const body = fx.mutate(fx.ociImage, (d) => (d["annotations"] = { note: "é".repeat(40) }));
    const bytes = Buffer.byteLength(body);
    assert.ok(bytes > body.length);
    assert.throws(() => parseManifest(body, OCI_MANIFEST, { maxBytes: body.length }), ManifestTooLargeError);
    assert.doesNotThrow(() => parseManifest(body, OCI_MANIFEST, { maxBytes: bytes }));
  });
});
