// Core against a real PostgreSQL (BERTH_TEST_PG_URL, started by scripts/test.mjs).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { PrismaClient } from "@berth/db";
import { startTestCore, type TestCore } from "./test-support.js";
import { readyzCheck } from "./system/health.routes.js";
import { hashPassword } from "./users/password.js";
import { UserStore } from "./users/user-store.js";

const pgUrl = process.env["BERTH_TEST_PG_URL"];
let db: PrismaClient;
let core: TestCore;
let base: string;
let component: Server;
let componentReady = true;

const basic = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}` });

before(async () => {
  assert.ok(pgUrl, "BERTH_TEST_PG_URL must point at a PostgreSQL server (npm test starts one)");
  component = createServer((req, res) => {
    res.statusCode = req.url === "/readyz" && componentReady ? 200 : 503;
    res.end();
  }).listen(0, "127.0.0.1");
  await new Promise((r) => component.once("listening", r));
  const componentUrl = `http://127.0.0.1:${(component.address() as AddressInfo).port}`;
  let database: () => Promise<unknown> = async () => undefined;
  core = await startTestCore({
    redis: "none",
    logCollectorUrl: componentUrl,
    components: { core: async () => undefined, registry: readyzCheck(componentUrl), database: () => database().then(() => undefined) },
  });
  db = core.db;
  database = async () => db.$queryRaw`SELECT 1`;
  base = core.base;
  const users = new UserStore(db);
  assert.equal(await users.ensureAdmin("Other1Passw0rd"), false, "the admin is created once");
  await db.user.create({ data: { username: "dev", realname: "dev", passwordHash: await hashPassword("Dev1Passw0rd"), sysadmin: false } });
});

after(async () => {
  component?.close();
  await core?.close();
});

test("health reports each component and turns 503 when one is down", async () => {
  let res = await fetch(`${base}/api/v2.0/health`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {
    status: "healthy",
    components: [
      { name: "core", status: "healthy" },
      { name: "registry", status: "healthy" },
      { name: "database", status: "healthy" },
    ],
  });
  componentReady = false;
  res = await fetch(`${base}/api/v2.0/health`);
  assert.equal(res.status, 503);
  const body = (await res.json()) as { status: string; components: { name: string; status: string }[] };
  assert.equal(body.status, "unhealthy");
  assert.equal(body.components.find((c) => c.name === "registry")?.status, "unhealthy");
  componentReady = true;
});

test("the admin authenticates with Basic auth; the hash is argon2id", async () => {
  const row = await db.user.findUniqueOrThrow({ where: { username: "admin" } });
  assert.match(row.passwordHash, /^\$argon2id\$/);
  assert.equal(row.sysadmin, true);
  const res = await fetch(`${base}/api/internal/auth/sysadmin`, { headers: basic("admin", "Adm1nPassw0rd") });
  assert.equal(res.status, 200);
});

test("system logs refuse anonymous, wrong passwords and non-admins with Harbor errors", async () => {
  let res = await fetch(`${base}/api/v2.0/system/logs`);
  assert.equal(res.status, 401);
  assert.deepEqual(await res.json(), { errors: [{ code: "UNAUTHORIZED", message: "unauthorized" }] });

  res = await fetch(`${base}/api/v2.0/system/logs`, { headers: basic("admin", "wrong") });
  assert.equal(res.status, 401);
  res = await fetch(`${base}/api/v2.0/system/logs`, { headers: basic("nobody", "wrong") });
  assert.equal(res.status, 401);

  res = await fetch(`${base}/api/v2.0/system/logs`, { headers: basic("dev", "Dev1Passw0rd") });
  assert.equal(res.status, 403);
  assert.equal(((await res.json()) as { errors: { code: string }[] }).errors[0]?.code, "FORBIDDEN");
});

test("system logs validate the query before asking the collector", async () => {
  for (const q of ["since=yesterday", "level=loud", "limit=0", "limit=5000"]) {
    const res = await fetch(`${base}/api/v2.0/system/logs?${q}`, { headers: basic("admin", "Adm1nPassw0rd") });
    assert.equal(res.status, 400, q);
    assert.equal(((await res.json()) as { errors: { code: string }[] }).errors[0]?.code, "BAD_REQUEST");
  }
});

test("unknown API paths answer a Harbor 404", async () => {
  const res = await fetch(`${base}/api/v2.0/nope`);
  assert.equal(res.status, 404);
  assert.equal(((await res.json()) as { errors: { code: string }[] }).errors[0]?.code, "NOT_FOUND");
});
