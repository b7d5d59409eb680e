import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { acceptQuality, isAcceptable, isExplicitlyAccepted, negotiateManifest, parseAccept } from "./accept.js";
import { DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST } from "./media-types.js";

// What `docker pull` (moby 25) sends, as separate header lines.
const DOCKER_ACCEPT = [
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
];
// An old client that only knows schema 2.
const OLD_ACCEPT = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.v1+prettyjws";

describe("parseAccept", () => {
  it("splits comma lists and multiple header values, lower-cases, defaults q to 1", () => {
    const entries = parseAccept(["Application/JSON", "text/html, */*"]);
    assert.deepEqual(entries, [
      { type: "application", subtype: "json", q: 1 },
      { type: "text", subtype: "html", q: 1 },
      { type: "*", subtype: "*", q: 1 },
    ]);
  });

  it("sorts by q, stable for ties, reading parameters and whitespace", () => {
    const entries = parseAccept("a/x;q=0.5, b/y ; level=1 ; Q=0.9 , c/z, d/w;q=0.5");
    assert.deepEqual(entries.map((e) => `${e.type}/${e.subtype}:${e.q}`), ["c/z:1", "b/y:0.9", "a/x:0.5", "d/w:0.5"]);
  });

  it("skips malformed elements and honours quoted commas", () => {
    const entries = parseAccept('a/b;foo="x,y", , nonsense, */json, c/d;q=2, e/f;q=abc, g/h/i, text/*;q=0.1');
    assert.deepEqual(entries.map((e) => `${e.type}/${e.subtype}`), ["a/b", "text/*"]);
  });

  it("reads a bare * as */* (Java clients)", () => {
    assert.deepEqual(parseAccept("text/html, *; q=.2"), [
      { type: "text", subtype: "html", q: 1 },
      { type: "*", subtype: "*", q: 0.2 },
    ]);
  });

  it("returns nothing for an absent header", () => {
    assert.deepEqual(parseAccept(undefined), []);
    assert.deepEqual(parseAccept(""), []);
    assert.deepEqual(parseAccept([]), []);
  });
});

describe("acceptQuality", () => {
  it("uses the most specific matching range", () => {
    const entries = parseAccept("*/*;q=0.1, application/*;q=0.5, application/vnd.oci.image.manifest.v1+json;q=0");
    assert.equal(acceptQuality(entries, OCI_MANIFEST), 0);
    assert.equal(acceptQuality(entries, OCI_INDEX), 0.5);
    assert.equal(acceptQuality(entries, "text/plain"), 0.1);
  });

  it("is 1 with no Accept header and 0 when nothing matches", () => {
    assert.equal(acceptQuality([], OCI_MANIFEST), 1);
    assert.equal(acceptQuality(parseAccept("text/html"), OCI_MANIFEST), 0);
    assert.equal(isAcceptable(parseAccept("text/html"), OCI_MANIFEST), false);
  });

  it("compares case-insensitively", () => {
    assert.equal(isAcceptable(parseAccept("APPLICATION/VND.OCI.IMAGE.MANIFEST.V1+JSON"), OCI_MANIFEST), true);
  });

  it("distinguishes explicit listing from wildcards", () => {
    assert.equal(isExplicitlyAccepted(parseAccept("*/*"), OCI_MANIFEST), false);
    assert.equal(isExplicitlyAccepted(parseAccept(OCI_MANIFEST), OCI_MANIFEST), true);
    assert.equal(isExplicitlyAccepted(parseAccept(`${OCI_MANIFEST};q=0`), OCI_MANIFEST), false);
  });
});

describe("negotiateManifest", () => {
  it("lenient: serves every stored type, reporting whether the client asked for it", () => {
    assert.deepEqual(negotiateManifest(OCI_MANIFEST, DOCKER_ACCEPT), { outcome: "serve", acceptable: true });
    assert.deepEqual(negotiateManifest(OCI_MANIFEST, OLD_ACCEPT), { outcome: "serve", acceptable: false });
    assert.deepEqual(negotiateManifest(OCI_INDEX, undefined), { outcome: "serve", acceptable: true });
    assert.deepEqual(negotiateManifest(DOCKER_MANIFEST_LIST, OLD_ACCEPT), { outcome: "serve", acceptable: false });
  });

  it("distribution: refuses OCI types unless explicitly accepted", () => {
    const refused = negotiateManifest(OCI_MANIFEST, OLD_ACCEPT, "distribution");
    assert.equal(refused.outcome, "not-acceptable");
    assert.equal(negotiateManifest(OCI_INDEX, "*/*", "distribution").outcome, "not-acceptable");
    assert.equal(negotiateManifest(OCI_INDEX, undefined, "distribution").outcome, "not-acceptable");
    assert.deepEqual(negotiateManifest(OCI_INDEX, DOCKER_ACCEPT, "distribution"), { outcome: "serve", acceptable: true });
  });

  it("distribution: always serves Docker schema 2 types", () => {
    assert.equal(negotiateManifest(DOCKER_MANIFEST, undefined, "distribution").outcome, "serve");
    assert.equal(negotiateManifest(DOCKER_MANIFEST, "text/html", "distribution").outcome, "serve");
    assert.equal(negotiateManifest(DOCKER_MANIFEST_LIST, OLD_ACCEPT, "distribution").outcome, "serve");
  });

  it("accepts pre-parsed entries", () => {
    assert.deepEqual(negotiateManifest(OCI_MANIFEST, parseAccept(OCI_MANIFEST), "distribution"), {
      outcome: "serve",
      acceptable: true,
    });
  });
});
