import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { it } from "node:test";
import { modulesLoadedBy, PRISMA_CLIENT_MODULE } from "@berth/db/testing";

// Everything main.ts imports (read from the compiled file, so a new import is covered), loaded in a
// fresh process: the registry's database access is `@berth/db/sql`, never Prisma's client; and the
// AWS SDK (about 33 MiB resident) is loaded only when the S3 driver is configured.
it("the registry's modules load no Prisma client and no AWS SDK", () => {
  const main = readFileSync(path.join(import.meta.dirname, "main.js"), "utf8");
  const specifiers = [...main.matchAll(/^import\s[^;]*?from\s+"([^"]+)";/gms)].map((m) => m[1]!);
  assert.ok(specifiers.includes("./app.js"), `main.js imports: ${specifiers.join(", ")}`);
  const urls = specifiers.map((s) => (s.startsWith(".") ? pathToFileURL(path.join(import.meta.dirname, s)).href : import.meta.resolve(s)));
  const loaded = modulesLoadedBy(`data:text/javascript,${encodeURIComponent(urls.map((u) => `import ${JSON.stringify(u)};`).join("\n"))}`);
  assert.ok(loaded.some((url) => url.includes("registry-store")), "sanity: the hook sees registry-store");
  assert.deepEqual(loaded.filter((url) => PRISMA_CLIENT_MODULE.test(url)), []);
  assert.ok(loaded.some((url) => url.includes("/storage/dist/")), "sanity: the hook sees @berth/storage");
  assert.deepEqual(loaded.filter((url) => url.includes("@aws-sdk")), []);
});
