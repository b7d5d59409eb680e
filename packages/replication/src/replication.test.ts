import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileFilters, filterProblems, literalNames, normalizeFilters, NamespaceRewriteError, rewriteRepository, dockerHubName, upstreamRepository } from "./index.js";

describe("namespace rewriting (Harbor's flattening levels)", () => {
  it("keeps, flattens all (-1), prefixes (0) or replaces n leading components", () => {
    assert.equal(rewriteRepository("a/b/c/d", "", -1), "a/b/c/d");
    assert.equal(rewriteRepository("a/b/c/d", "ns", -1), "ns/d");
    assert.equal(rewriteRepository("a/b/c/d", "ns", 0), "ns/a/b/c/d");
    assert.equal(rewriteRepository("a/b/c/d", "ns", 1), "ns/b/c/d");
    assert.equal(rewriteRepository("a/b/c/d", "ns", 3), "ns/d");
    assert.equal(rewriteRepository("library/hello", "mirror/x", 1), "mirror/x/hello");
  });
  it("refuses to replace the name itself", () => {
    assert.throws(() => rewriteRepository("a/b", "ns", 2), NamespaceRewriteError);
  });
  it("names Docker Hub's official images", () => {
    assert.equal(dockerHubName("alpine"), "library/alpine");
    assert.equal(dockerHubName("bitnami/redis"), "bitnami/redis");
    // A proxy cache project's names on its upstream: only Docker Hub adds library/.
    assert.equal(upstreamRepository("docker-hub", "nginx"), "library/nginx");
    assert.equal(upstreamRepository("docker-hub", "library/nginx"), "library/nginx");
    assert.equal(upstreamRepository("docker-registry", "nginx"), "nginx");
    assert.equal(upstreamRepository("harbor", "proj/app"), "proj/app");
  });
});

describe("policy filters", () => {
  it("validates every filter and reports every problem", () => {
    assert.deepEqual(filterProblems([{ type: "name", value: "library/**" }, { type: "tag", value: "v*", decoration: "excludes" }, { type: "resource", value: "image" }, { type: "label", value: ["prod"] }]), []);
    const problems = filterProblems([
      { type: "name", value: "a/[b" },
      { type: "color", value: "red" },
      { type: "tag", value: 3 },
      { type: "resource", value: "chart" },
      { type: "label", value: "prod" },
      { type: "name", value: "x", decoration: "maybe" },
    ]);
    assert.equal(problems.length, 7, problems.join("\n"));
    assert.match(problems.join("\n"), /unclosed "\["/);
    assert.match(problems.join("\n"), /only one name filter/);
  });
  it("selects repositories and tags with doublestar matches/excludes", () => {
    const f = compileFilters(normalizeFilters([{ type: "name", value: "library/**" }, { type: "tag", value: "{v1,v2}*", decoration: "excludes" }, { type: "resource", value: "image" }]));
    assert.ok(f.repository("library/a/b"));
    assert.ok(!f.repository("other/a"));
    assert.ok(f.tag("latest"));
    assert.ok(!f.tag("v1.0"));
    assert.equal(f.resource, "image");
    const all = compileFilters([]);
    assert.ok(all.repository("anything/at/all") && all.tag("x") && !all.hasTagFilter);
    assert.equal(all.resource, "artifact");
  });
  it("spells out literal name patterns for registries that cannot list", () => {
    assert.deepEqual(literalNames("library/alpine"), ["library/alpine"]);
    assert.deepEqual(literalNames("library/{alpine,busybox}"), ["library/alpine", "library/busybox"]);
    assert.deepEqual(literalNames("{a,b}/{c,d}"), ["a/c", "a/d", "b/c", "b/d"]);
    assert.equal(literalNames("library/*"), undefined);
    assert.equal(literalNames(undefined), undefined);
  });
});
