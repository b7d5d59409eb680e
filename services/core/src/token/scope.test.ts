import { test } from "node:test";
import assert from "node:assert/strict";
import { mergeScopes, parseScopes } from "./scope.js";

test("parses type, name and actions", () => {
  assert.deepEqual(parseScopes("repository:library/app:pull,push"), [{ type: "repository", name: "library/app", actions: ["pull", "push"] }]);
  assert.deepEqual(parseScopes("registry:catalog:*"), [{ type: "registry", name: "catalog", actions: ["*"] }]);
});

test("names may contain a host with a port: the actions follow the last colon", () => {
  assert.deepEqual(parseScopes("repository:reg.example.com:5000/p/app:pull"), [{ type: "repository", name: "reg.example.com:5000/p/app", actions: ["pull"] }]);
});

test("a resource class is dropped; several scopes may share one parameter", () => {
  assert.deepEqual(parseScopes("repository(plugin):p/a:pull repository:p/b:push"), [
    { type: "repository", name: "p/a", actions: ["pull"] },
    { type: "repository", name: "p/b", actions: ["push"] },
  ]);
});

test("duplicate actions collapse; empty action lists are allowed", () => {
  assert.deepEqual(parseScopes("repository:p/a:pull,pull,"), [{ type: "repository", name: "p/a", actions: ["pull"] }]);
  assert.deepEqual(parseScopes("repository:p/a:"), [{ type: "repository", name: "p/a", actions: [] }]);
});

test("malformed scopes are refused", () => {
  for (const bad of ["repository", "repository:p/a", ":p/a:pull", "Repo:p/a:pull", "repository::pull", "repository:p/a:PULL"]) {
    assert.equal(parseScopes(bad), undefined, bad);
  }
});

test("scopes naming the same resource merge", () => {
  assert.deepEqual(mergeScopes([...parseScopes("repository:p/a:pull")!, ...parseScopes("repository:p/a:push repository:p/b:pull")!]), [
    { type: "repository", name: "p/a", actions: ["pull", "push"] },
    { type: "repository", name: "p/b", actions: ["pull"] },
  ]);
});
