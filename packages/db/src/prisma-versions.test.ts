// The offline schema engine (scripts/schema-engine.mjs) drives Prisma's internal engine protocol
// and the generated client runs Prisma's query compiler: every Prisma part must come from one
// release (PRISMA-OFFLINE.md). This checks the pins, what is installed, and the generated client.
import assert from "node:assert/strict";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";

const packageRoot = path.resolve(import.meta.dirname, "..");
const manifest = JSON.parse(readFileSync(path.join(packageRoot, "package.json"), "utf8")) as { dependencies: Record<string, string> };

/** The package `name` as Node finds it from directory `from` (the nearest `node_modules/<name>` up the tree). */
function installed(name: string, from = packageRoot): { version: string; dir: string } {
  let dir = from;
  while (!existsSync(path.join(dir, "node_modules", name, "package.json"))) {
    assert.notEqual(path.dirname(dir), dir, `${name} is not installed (looked up from ${from})`);
    dir = path.dirname(dir);
  }
  const file = realpathSync(path.join(dir, "node_modules", name, "package.json"));
  const json = JSON.parse(readFileSync(file, "utf8")) as { version: string };
  return { version: json.version, dir: path.dirname(file) };
}

/** `7.10.0-4.0edf323…` → `0edf323…` (the engines' commit). */
const engineCommit = (version: string) => version.split(".").at(-1) ?? "";

const RELEASE_PACKAGES = ["prisma", "@prisma/client", "@prisma/client-runtime-utils", "@prisma/adapter-pg", "@prisma/driver-adapter-utils"] as const;

describe("Prisma versions move together", () => {
  it("pins the CLI, client, its runtime utilities, adapter and adapter utilities to one exact release", () => {
    const pins = RELEASE_PACKAGES.map((name) => manifest.dependencies[name]);
    for (const [i, pin] of pins.entries()) assert.match(pin ?? "", /^\d+\.\d+\.\d+$/, `${RELEASE_PACKAGES[i]} must be pinned exactly, not ${pin}`);
    assert.equal(new Set(pins).size, 1, `one release for ${RELEASE_PACKAGES.join(", ")}; found ${pins.join(", ")}`);
  });

  it("installs exactly the pinned versions, and their Prisma dependencies from the same release", () => {
    const release = manifest.dependencies["prisma"];
    for (const name of RELEASE_PACKAGES) assert.equal(installed(name).version, release, name);
    const client = installed("@prisma/client");
    // @berth/db/sql's fragments must be the very module Prisma's runtime loads (instanceof checks).
    assert.equal(installed("@prisma/client-runtime-utils", client.dir).dir, installed("@prisma/client-runtime-utils").dir, "@prisma/client's runtime utilities");
    const adapter = installed("@prisma/adapter-pg");
    assert.equal(installed("@prisma/driver-adapter-utils", adapter.dir).version, release, "@prisma/adapter-pg's driver-adapter-utils");
    assert.equal(installed("@prisma/engines", installed("prisma").dir).version, release, "the CLI's @prisma/engines");
  });

  it("pins the WASM schema engine built from the CLI's engines commit", () => {
    const pin = manifest.dependencies["@prisma/schema-engine-wasm"] ?? "";
    assert.equal(installed("@prisma/schema-engine-wasm").version, pin);
    const engines = installed("@prisma/engines", installed("prisma").dir);
    const enginesVersion = installed("@prisma/engines-version", engines.dir).version;
    assert.equal(pin, enginesVersion, "@prisma/schema-engine-wasm must be the version of the CLI's @prisma/engines-version");
  });

  it("generated the client with the pinned CLI for the same engines commit", () => {
    const generated = readFileSync(path.join(packageRoot, "src", "generated", "prisma", "internal", "class.ts"), "utf8");
    assert.equal(/"clientVersion": "([^"]+)"/.exec(generated)?.[1], manifest.dependencies["prisma"], "run `pnpm run build` (prisma generate) after changing the pins");
    assert.equal(/"engineVersion": "([^"]+)"/.exec(generated)?.[1], engineCommit(manifest.dependencies["@prisma/schema-engine-wasm"] ?? ""));
  });
});
