import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nextLink, parseChallenge, parseRetryAfter, uploadOffset } from "./headers.js";

describe("WWW-Authenticate", () => {
  it("reads Distribution's and Docker Hub's Bearer challenges", () => {
    assert.deepEqual(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'), {
      scheme: "bearer",
      realm: "https://auth.docker.io/token",
      service: "registry.docker.io",
      scope: "repository:library/busybox:pull",
      error: undefined,
    });
    const c = parseChallenge('Bearer realm="http://127.0.0.1:8080/service/token",service="berth-registry",scope="repository:a/b:pull,push",error="insufficient_scope"');
    assert.equal(c?.scheme, "bearer");
    assert.equal(c?.scheme === "bearer" && c.scope, "repository:a/b:pull,push");
    assert.equal(c?.scheme === "bearer" && c.error, "insufficient_scope");
  });
  it("takes quoted commas and escapes, unquoted tokens, and prefers Bearer over Basic", () => {
    const c = parseChallenge(['Basic realm="x"', 'Bearer realm=https://r/t, service="a \\"b\\", c"']);
    assert.deepEqual(c, { scheme: "bearer", realm: "https://r/t", service: 'a "b", c', scope: undefined, error: undefined });
    assert.deepEqual(parseChallenge('Basic realm="Registry Realm"'), { scheme: "basic", realm: "Registry Realm" });
    assert.deepEqual(parseChallenge('Basic realm="a", Bearer realm="https://t"'), { scheme: "bearer", realm: "https://t", service: undefined, scope: undefined, error: undefined });
  });
  it("ignores what it cannot answer", () => {
    assert.equal(parseChallenge(undefined), undefined);
    assert.equal(parseChallenge("Negotiate"), undefined);
    assert.equal(parseChallenge("Bearer service=x"), undefined, "a Bearer challenge without a realm is useless");
    assert.equal(parseChallenge(""), undefined);
  });
});

describe("Retry-After", () => {
  it("reads seconds and HTTP dates", () => {
    assert.equal(parseRetryAfter("3"), 3000);
    assert.equal(parseRetryAfter(["0"]), 0);
    const now = Date.parse("Wed, 21 Oct 2026 07:28:00 GMT");
    assert.equal(parseRetryAfter("Wed, 21 Oct 2026 07:28:05 GMT", now), 5000);
    assert.equal(parseRetryAfter("Wed, 21 Oct 2026 07:27:00 GMT", now), 0);
    assert.equal(parseRetryAfter("soon"), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
  });
});

describe("Link and Range", () => {
  it("finds rel=next", () => {
    assert.equal(nextLink('</v2/_catalog?last=b&n=2>; rel="next"'), "/v2/_catalog?last=b&n=2");
    assert.equal(nextLink('</a?page=1>; rel="prev" , </a?page=3>; rel="next"'), "/a?page=3");
    assert.equal(nextLink('</a?page=1>; rel="prev"'), undefined);
    assert.equal(nextLink(undefined), undefined);
  });
  it("reads the acknowledged offset of an upload", () => {
    assert.equal(uploadOffset("0-1023"), 1024);
    assert.equal(uploadOffset("bytes=0-9"), 10);
    assert.equal(uploadOffset("5-9"), undefined);
    assert.equal(uploadOffset(undefined), undefined);
  });
});
