import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DigestInvalidError, NameInvalidError, TagInvalidError, UnsupportedDigestAlgorithmError } from "./domain-errors.js";
import {
  MAX_REPOSITORY_NAME_LENGTH,
  isDigestReference,
  isValidRepositoryName,
  isValidTag,
  parseManifestReference,
  parseRepositoryName,
  parseTag,
  parseV2Route,
} from "./reference.js";

const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;

describe("parseRepositoryName", () => {
  for (const name of [
    "a",
    "library/ubuntu",
    "my-org/my-app",
    "my--org/app",
    "foo_bar",
    "foo__bar",
    "foo.bar",
    "a/b/c/d/e/f",
    "0/1/2",
    "project/team.app_v2--beta",
    "x".repeat(MAX_REPOSITORY_NAME_LENGTH),
    "library/blobs/uploads/manifests",
  ]) {
    it(`accepts ${JSON.stringify(name.length > 40 ? `${name.slice(0, 10)}…(${name.length})` : name)}`, () => {
      assert.equal(parseRepositoryName(name), name);
      assert.equal(isValidRepositoryName(name), true);
    });
  }

  for (const [name, reason] of [
    ["", /empty name/],
    ["x".repeat(MAX_REPOSITORY_NAME_LENGTH + 1), /longer than 255/],
    ["Library/ubuntu", /lowercase/],
    ["library/Ubuntu", /lowercase/],
    ["..", /'\.\.'/],
    ["library/../etc", /'\.\.'/],
    ["a..b", /'\.\.'/],
    ["library/%2e%2e/etc", /percent/],
    ["library/%2E%2E", /percent/],
    ["library%2fubuntu", /percent/],
    ["/library", /empty path component/],
    ["library/", /empty path component/],
    ["library//ubuntu", /empty path component/],
    [".hidden", /component/],
    ["-dash", /component/],
    ["dash-", /component/],
    ["a___b", /component/],
    ["a_.b", /component/],
    ["a._b", /component/],
    ["a b", /component/],
    ["a:b", /component/],
    ["a@b", /component/],
    ["ünicode", /component/],
    ["a\\b", /component/],
  ] as const) {
    it(`rejects ${JSON.stringify(name.length > 40 ? `${name.slice(0, 10)}…(${name.length})` : name)}`, () => {
      assert.throws(
        () => parseRepositoryName(name),
        (e: unknown) => e instanceof NameInvalidError && reason.test(String(e.detail["reason"])),
      );
      assert.equal(isValidRepositoryName(name), false);
    });
  }

  it("honours a smaller configured limit (e.g. 255 minus the registry host)", () => {
    assert.throws(() => parseRepositoryName("a".repeat(230), 229), NameInvalidError);
    assert.equal(parseRepositoryName("a".repeat(229), 229), "a".repeat(229));
  });
});

describe("parseTag", () => {
  for (const tag of ["latest", "v1.2.3", "_private", "1", "A-b_C.d", "a".repeat(128), "sha256-abc.sig", "3.19"]) {
    it(`accepts ${tag.length > 20 ? `(${tag.length} chars)` : tag}`, () => {
      assert.equal(parseTag(tag), tag);
      assert.equal(isValidTag(tag), true);
    });
  }
  for (const tag of ["", "a".repeat(129), ".hidden", "-dash", "a/b", "a:b", "a b", "tag!", "ünï"]) {
    it(`rejects ${JSON.stringify(tag.length > 20 ? `(${tag.length} chars)` : tag)}`, () => {
      assert.throws(() => parseTag(tag), TagInvalidError);
      assert.equal(isValidTag(tag), false);
    });
  }
});

describe("manifest references", () => {
  it("tells digests from tags by the colon", () => {
    assert.equal(isDigestReference(DIGEST), true);
    assert.equal(isDigestReference("sha256:bad"), true);
    assert.equal(isDigestReference("latest"), false);
  });

  it("parses tags and digests", () => {
    assert.deepEqual(parseManifestReference("latest"), { kind: "tag", tag: "latest" });
    assert.deepEqual(parseManifestReference(DIGEST), { kind: "digest", digest: DIGEST });
  });

  it("reports an invalid digest as a digest error, not a tag error", () => {
    assert.throws(() => parseManifestReference("sha256:bad"), DigestInvalidError);
    assert.throws(() => parseManifestReference(`sha384:${"a".repeat(96)}`), UnsupportedDigestAlgorithmError);
    assert.throws(() => parseManifestReference("-bad"), TagInvalidError);
  });
});

describe("parseV2Route", () => {
  const cases: Array<[string, ReturnType<typeof parseV2Route>]> = [
    ["", { kind: "base" }],
    ["/", { kind: "base" }],
    ["_catalog", { kind: "catalog" }],
    ["library/ubuntu/manifests/latest", { kind: "manifest", name: "library/ubuntu", reference: "latest" }],
    [`ubuntu/manifests/${DIGEST}`, { kind: "manifest", name: "ubuntu", reference: DIGEST }],
    [`a/b/c/blobs/${DIGEST}`, { kind: "blob", name: "a/b/c", digest: DIGEST }],
    ["library/ubuntu/blobs/uploads/", { kind: "blob-upload-start", name: "library/ubuntu" }],
    ["library/ubuntu/blobs/uploads", { kind: "blob-upload-start", name: "library/ubuntu" }],
    [
      "library/ubuntu/blobs/uploads/6f2a5c1e-93b4-4f37-9d7e-1c0a2b3c4d5e",
      { kind: "blob-upload", name: "library/ubuntu", sessionId: "6f2a5c1e-93b4-4f37-9d7e-1c0a2b3c4d5e" },
    ],
    ["library/ubuntu/tags/list", { kind: "tags", name: "library/ubuntu" }],
    [`library/ubuntu/referrers/${DIGEST}`, { kind: "referrers", name: "library/ubuntu", digest: DIGEST }],
    // names that contain route keywords: parsed from the right
    ["a/manifests/b/manifests/latest", { kind: "manifest", name: "a/manifests/b", reference: "latest" }],
    [`foo/blobs/blobs/${DIGEST}`, { kind: "blob", name: "foo/blobs", digest: DIGEST }],
    ["foo/blobs/uploads/manifests/v1", { kind: "manifest", name: "foo/blobs/uploads", reference: "v1" }],
    ["foo/blobs/uploads/blobs/uploads/abc", { kind: "blob-upload", name: "foo/blobs/uploads", sessionId: "abc" }],
    ["tags/tags/list", { kind: "tags", name: "tags" }],
    ["referrers/referrers/x", { kind: "referrers", name: "referrers", digest: "x" }],
    // raw strings are passed through for the caller to validate
    ["Bad..Name/manifests/-x", { kind: "manifest", name: "Bad..Name", reference: "-x" }],
    ["library/%2e%2e/manifests/latest", { kind: "manifest", name: "library/%2e%2e", reference: "latest" }],
    // no route
    ["manifests/latest", undefined],
    ["blobs/uploads/", undefined],
    ["library/ubuntu", undefined],
    ["library/ubuntu/manifests/", undefined],
    ["library/ubuntu/manifests/latest/", undefined],
    ["library/ubuntu/tags/all", undefined],
    ["library/ubuntu/unknown/x", undefined],
  ];
  for (const [path, expected] of cases) {
    it(`${JSON.stringify(path)} → ${expected?.kind ?? "no route"}`, () => {
      assert.deepEqual(parseV2Route(path), expected);
    });
  }

  it("lets the caller validate the name it returns", () => {
    const route = parseV2Route("library/%2e%2e/manifests/latest");
    assert.ok(route?.kind === "manifest");
    assert.throws(() => parseRepositoryName(route.name), NameInvalidError);
  });
});
