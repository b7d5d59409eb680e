// No import cycles anywhere in the repository: between the files of every package, service, the
// launcher and the e2e suite (type-only imports included), and between the workspace packages.
// Checked with dpdm over the TypeScript sources, so a cycle fails the unit tier, not a review.
import assert from "node:assert/strict";
import { existsSync, globSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import dpdm, { type Dependency, type DependencyTree } from "dpdm";

const root = path.resolve(import.meta.dirname, "..", "..", "..");
const SOURCES = ["packages/*/src/**/*.ts", "services/*/src/**/*.ts", "deploy/*/src/**/*.ts", "e2e/src/**/*.ts"];

describe("import cycles", () => {
  it("no module imports itself through others (files of every package and service)", async () => {
    const tree = await dpdm.parseDependencyTree(SOURCES, {
      context: root,
      cwd: root,
      extensions: [".ts", ".mts", ".js", ".mjs", ".json"],
      js: [".ts", ".mts", ".js", ".mjs"],
      include: /\.(m?ts|m?js)$/,
      exclude: /node_modules|\/dist\/|\/generated\//,
      transform: false,
      skipDynamicImports: false,
    });
    const files = Object.keys(tree);
    assert.ok(files.length > 300 && files.includes("services/core/src/app.ts"), `sanity: dpdm read the sources (${files.length} files)`);
    const unresolved = Object.values(tree).flatMap((deps) => (deps ?? []).filter((d: Dependency) => d.id === null && d.request.startsWith(".")));
    assert.deepEqual(unresolved.map((d: Dependency) => `${d.issuer} → ${d.request}`), [], "every relative import resolves (else a cycle could hide)");
    const circulars = dpdm.parseCircular(tree);
    assert.equal(circulars.length, 0, `import cycles:\n${dpdm.prettyCircular(circulars)}`);
  });

  it("no workspace package depends on itself through others", () => {
    const manifests = ["packages/*/package.json", "services/*/package.json", "deploy/*/package.json", "e2e/package.json"].flatMap((p) => globSync(p, { cwd: root }));
    const byName = new Map<string, { file: string; deps: string[] }>();
    for (const file of manifests) {
      const json = JSON.parse(readFileSync(path.join(root, file), "utf8")) as { name: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
      const deps = Object.entries({ ...json.dependencies, ...json.devDependencies }).filter(([, v]) => v.startsWith("workspace:")).map(([k]) => k);
      byName.set(json.name, { file, deps });
    }
    assert.ok(byName.has("@berth/db") && byName.has("@berth/core"), "sanity: the workspace manifests were read");
    const tree: DependencyTree = {};
    for (const [name, { file, deps }] of byName) {
      tree[name] = deps.map((d) => ({ issuer: name, request: d, kind: "StaticImport" as never, id: byName.has(d) ? d : null }));
      assert.ok(existsSync(path.join(root, file)));
    }
    const circulars = dpdm.parseCircular(tree);
    assert.equal(circulars.length, 0, `package cycles:\n${dpdm.prettyCircular(circulars)}`);
  });
});
