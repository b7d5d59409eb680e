import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidPathError } from "./errors.js";
import { isValidPath, joinPath, parentPath, pathProblem, validatePath } from "./paths.js";

test("valid logical paths", () => {
  for (const p of ["/a", "/docker/registry/v2/blobs/sha256/ab/abcd/data", "/a.b/c_d/e-f", "/..a", "/a..", "/.hidden"]) {
    assert.equal(pathProblem(p), undefined, p);
  }
  assert.ok(isValidPath("/"));
  assert.equal(validatePath("/", { allowRoot: true }), "/");
});

test("invalid logical paths", () => {
  for (const p of ["", "/", "a/b", "/a/", "//", "/a//b", "/..", "/a/../b", "/./a", "/a b", "/a\u0000b", "/é", "/~x", "/a%2Fb", "/a:b"]) {
    assert.throws(() => validatePath(p), InvalidPathError, JSON.stringify(p));
  }
  assert.throws(() => validatePath(`/${"a".repeat(5000)}`), InvalidPathError);
});

test("joinPath and parentPath", () => {
  assert.equal(joinPath("/", "a"), "/a");
  assert.equal(joinPath("/a", "b"), "/a/b");
  assert.equal(parentPath("/a/b"), "/a");
  assert.equal(parentPath("/a"), "/");
});
