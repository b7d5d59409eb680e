import assert from "node:assert/strict";
import path from "node:path";
import { it } from "node:test";
import { modulesLoadedBy, PRISMA_CLIENT_MODULE } from "@berth/db/testing";

// The registry runs registry-store over the lean pg client: loading the stores must not pull in
// Prisma's generated client or runtime (their code and query compiler cost the registry memory).
it("importing registry-store loads no Prisma client", () => {
  const loaded = modulesLoadedBy(path.join(import.meta.dirname, "index.js"));
  assert.ok(loaded.some((url) => url.includes("/db/dist/sql.js")), "sanity: registry-store reaches @berth/db/sql");
  assert.deepEqual(loaded.filter((url) => PRISMA_CLIENT_MODULE.test(url)), []);
});
