import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sha256Digest } from "./digest.js";
import {
  DOCKER_FOREIGN_LAYER,
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  DOCKER_SCHEMA1_SIGNED_MANIFEST,
  EMPTY_DESCRIPTOR,
  OCI_INDEX,
  OCI_LAYER_TAR_GZIP,
  OCI_MANIFEST,
  isImageManifestMediaType,
  isIndexMediaType,
  isManifestMediaType,
  isNondistributableMediaType,
  isSchema1MediaType,
  isValidMediaType,
  normalizeContentType,
} from "./media-types.js";

describe("media types", () => {
  it("has a correct empty descriptor", () => {
    assert.equal(Buffer.from(EMPTY_DESCRIPTOR.data, "base64").toString(), "{}");
    assert.equal(sha256Digest("{}"), EMPTY_DESCRIPTOR.digest);
    assert.equal(EMPTY_DESCRIPTOR.size, 2);
  });

  it("classifies manifest types", () => {
    for (const t of [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST]) assert.ok(isManifestMediaType(t));
    assert.equal(isManifestMediaType(DOCKER_SCHEMA1_SIGNED_MANIFEST), false);
    assert.ok(isIndexMediaType(OCI_INDEX) && isIndexMediaType(DOCKER_MANIFEST_LIST));
    assert.ok(isImageManifestMediaType(OCI_MANIFEST) && isImageManifestMediaType(DOCKER_MANIFEST));
    assert.equal(isIndexMediaType(OCI_MANIFEST), false);
    assert.ok(isSchema1MediaType(DOCKER_SCHEMA1_SIGNED_MANIFEST));
    assert.ok(isNondistributableMediaType(DOCKER_FOREIGN_LAYER));
    assert.equal(isNondistributableMediaType(OCI_LAYER_TAR_GZIP), false);
  });

  it("validates RFC 6838 media types", () => {
    for (const t of [OCI_MANIFEST, "application/spdx+json", "application/vnd.cncf.helm.chart.provenance.v1.prov", "text/plain"]) {
      assert.ok(isValidMediaType(t), t);
    }
    for (const t of ["", "application", "application/", "/json", "a/b/c", "a/b; c=d", "a b/c", "-a/b", `a/${"b".repeat(128)}`]) {
      assert.equal(isValidMediaType(t), false, t);
    }
  });

  it("normalises Content-Type headers", () => {
    assert.equal(normalizeContentType(" Application/JSON ; charset=UTF-8"), "application/json");
    assert.equal(normalizeContentType(undefined), undefined);
    assert.equal(normalizeContentType("  "), undefined);
    assert.equal(normalizeContentType(";x=y"), undefined);
  });
});
