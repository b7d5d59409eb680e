// The token service against a real database and Redis, and a stock CNCF Distribution 2.8
// (`docker-registry`) that must accept Berth's tokens.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { adminAuth, basic, call, createUser, startTestCore, type TestCore } from "../test-support.js";

let core: TestCore;
const token = (query: string, headers: Record<string, string> = {}) => call(core.base, "GET", `/service/token?${query}`, { headers });
const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString("utf8"));
const accessOf = async (query: string, headers: Record<string, string> = {}) => {
  const res = await token(query, headers);
  assert.equal(res.status, 200, JSON.stringify(res.data));
  return claims(res.data.token).access as { type: string; name: string; actions: string[] }[];
};

before(async () => {
  core = await startTestCore({ loginRateLimit: { maxFailures: 3, windowSeconds: 60 } });
  // private project "team" with one member per role; public "library" exists already.
  const admin = await core.services.users.findByName("admin");
  await core.services.projects.create({ name: "team", public: false, metadata: {}, storageLimit: -1n }, admin!.id, { operator: "admin", operatorType: "user" });
  const team = (await core.services.projects.findByName("team"))!;
  for (const [name, role] of [["padmin", 1], ["developer", 2], ["guest", 3], ["maintainer", 4], ["limited", 5]] as const) {
    const id = await createUser(core.db, name, "Passw0rdPassw0rd");
    await core.db.projectMember.create({ data: { projectId: team.id, userId: id, roleId: role } });
  }
  await createUser(core.db, "outsider", "Passw0rdPassw0rd");
});
after(async () => core?.close());

test("grants the intersection of asked and allowed, per role", async () => {
  const scope = "scope=repository:team/app:pull,push,delete,*";
  const expected: Record<string, string[]> = {
    padmin: ["pull", "push", "delete", "*"],
    maintainer: ["pull", "push", "delete", "*"],
    developer: ["pull", "push"],
    guest: ["pull"],
    limited: ["pull"],
    outsider: [],
  };
  for (const [user, actions] of Object.entries(expected)) {
    const access = await accessOf(`service=berth-registry&${scope}`, basic(user, "Passw0rdPassw0rd"));
    assert.deepEqual(access, [{ type: "repository", name: "team/app", actions }], user);
  }
  assert.deepEqual(await accessOf(`service=berth-registry&${scope}`, adminAuth()), [{ type: "repository", name: "team/app", actions: ["pull", "push", "delete", "*"] }]);
});

test("anonymous callers get pull on public projects only", async () => {
  assert.deepEqual(await accessOf("service=berth-registry&scope=repository:library/app:pull,push&scope=repository:team/app:pull"), [
    { type: "repository", name: "library/app", actions: ["pull"] },
    { type: "repository", name: "team/app", actions: [] },
  ]);
  const res = await token("service=berth-registry");
  assert.equal(claims(res.data.token).sub, "");
});

test("unknown projects and names without a project grant nothing but still answer 200", async () => {
  assert.deepEqual(await accessOf("service=berth-registry&scope=repository:nope/app:pull&scope=repository:app:pull", adminAuth()), [
    { type: "repository", name: "nope/app", actions: [] },
    { type: "repository", name: "app", actions: [] },
  ]);
});

test("registry:catalog:* is for system administrators", async () => {
  assert.deepEqual(await accessOf("service=berth-registry&scope=registry:catalog:*", adminAuth()), [{ type: "registry", name: "catalog", actions: ["*"] }]);
  assert.deepEqual(await accessOf("service=berth-registry&scope=registry:catalog:*", basic("padmin", "Passw0rdPassw0rd")), [{ type: "registry", name: "catalog", actions: [] }]);
});

test("no scope: a token for a valid identity; response shape", async () => {
  const res = await token("service=berth-registry", basic("developer", "Passw0rdPassw0rd"));
  assert.equal(res.status, 200);
  assert.equal(res.data.token, res.data.access_token);
  assert.equal(res.data.expires_in, 1800);
  assert.ok(!Number.isNaN(Date.parse(res.data.issued_at)));
  const c = claims(res.data.token);
  assert.equal(c.sub, "developer");
  assert.equal(c.iss, "berth-token-issuer");
  assert.equal(c.aud, "berth-registry");
  assert.deepEqual(c.access, []);
});

test("wrong credentials are 401 with a Basic challenge; wrong service and bad scopes 400", async () => {
  let res = await token("service=berth-registry", basic("developer", "wrong"));
  assert.equal(res.status, 401);
  assert.match(res.headers.get("www-authenticate") ?? "", /^Basic realm=/);
  res = await token("service=other&scope=repository:library/a:pull");
  assert.equal(res.status, 400);
  res = await token("scope=repository:library/a:pull");
  assert.equal(res.status, 400);
  res = await token("service=berth-registry&scope=repository");
  assert.equal(res.status, 400);
});

const resetLimits = async (...users: string[]) => {
  for (const key of ["addr:127.0.0.1", "addr:::ffff:127.0.0.1", ...users.map((u) => `user:${u}`)]) await core.services.limiter.reset(key);
};

test("failed logins are rate limited per user with 429 and Retry-After, and audited", async () => {
  await resetLimits("guest");
  for (let i = 0; i < 3; i++) assert.equal((await token("service=berth-registry", basic("guest", "wrong"))).status, 401);
  const res = await token("service=berth-registry", basic("guest", "Passw0rdPassw0rd"));
  assert.equal(res.status, 429);
  assert.ok(Number(res.headers.get("retry-after")) > 0);
  assert.equal(res.data.errors[0].code, "TOO_MANY_REQUEST");
  const rows = await core.db.auditLog.findMany({ where: { operation: "login_failed", operator: "guest" } });
  assert.ok(rows.length >= 3);
  assert.equal(rows[0]?.result, "failure");
  await resetLimits("guest");
});

test("with Redis unreachable the limiter fails open", async () => {
  const closed = await startTestCore({ redis: "redis://127.0.0.1:1", loginRateLimit: { maxFailures: 1, windowSeconds: 60 } });
  try {
    await createUser(closed.db, "u1", "Passw0rdPassw0rd");
    for (let i = 0; i < 3; i++) assert.equal((await call(closed.base, "GET", "/service/token?service=berth-registry", { headers: basic("u1", "bad") })).status, 401);
    assert.equal((await call(closed.base, "GET", "/service/token?service=berth-registry", { headers: basic("u1", "Passw0rdPassw0rd") })).status, 200);
  } finally {
    await closed.close();
  }
});

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

test("a stock docker-registry (CNCF Distribution 2.8) accepts Berth's tokens", { skip: !existsSync("/usr/bin/docker-registry") && "docker-registry is not installed" }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "berth-distribution-"));
  const port = await freePort();
  writeFileSync(
    path.join(dir, "config.yml"),
    [
      "version: 0.1",
      "log:",
      "  level: error",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${path.join(dir, "data")}`,
      "http:",
      `  addr: 127.0.0.1:${port}`,
      "auth:",
      "  token:",
      `    realm: ${core.base}/service/token`,
      "    service: berth-registry",
      "    issuer: berth-token-issuer",
      `    rootcertbundle: ${path.join(core.keyDir, "tls.crt")}`,
      "",
    ].join("\n"),
  );
  let registry: ChildProcess | undefined;
  let stderr = "";
  try {
    registry = spawn("/usr/bin/docker-registry", ["serve", path.join(dir, "config.yml")], { stdio: ["ignore", "ignore", "pipe"] });
    registry.stderr?.on("data", (d) => (stderr += String(d)));
    const url = `http://127.0.0.1:${port}`;
    let challenge: Response | undefined;
    for (let i = 0; i < 100 && !challenge; i++) {
      challenge = await fetch(`${url}/v2/`).catch(() => undefined);
      if (!challenge) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(challenge, `docker-registry did not start: ${stderr}`);
    assert.equal(challenge.status, 401);
    assert.match(challenge.headers.get("www-authenticate") ?? "", new RegExp(`Bearer realm="${core.base}/service/token",service="berth-registry"`));

    const bearer = async (scope?: string) => {
      const res = await token(`service=berth-registry${scope ? `&scope=${scope}` : ""}`, adminAuth());
      assert.equal(res.status, 200);
      return { authorization: `Bearer ${res.data.token}` };
    };
    const v2 = await fetch(`${url}/v2/`, { headers: await bearer() });
    assert.equal(v2.status, 200, `GET /v2/ with a Berth token: ${stderr}`);

    const missing = "sha256:" + "0".repeat(64);
    const head = await fetch(`${url}/v2/library/app/blobs/${missing}`, { method: "HEAD", headers: await bearer("repository:library/app:pull") });
    assert.equal(head.status, 404, `HEAD of a missing blob in an allowed repository: ${stderr}`);

    const denied = await fetch(`${url}/v2/team/app/blobs/${missing}`, { method: "HEAD", headers: await bearer("repository:library/app:pull") });
    assert.equal(denied.status, 401, "a token for another repository is refused");
  } finally {
    if (registry && registry.exitCode === null) {
      registry.kill("SIGTERM");
      await new Promise((r) => registry!.once("exit", r));
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
