import { test } from "node:test";
import assert from "node:assert/strict";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { Writable } from "node:stream";
import { createLogger } from "@berth/logger";
import { createBaseApp } from "./base-app.js";
import { isLoopbackAddress, trustNginxHop } from "./client-address.js";
import { listen } from "./lifecycle.js";
import { findUnstorableText, unstorableTextProblem } from "./text-guard.js";

const logger = createLogger({ service: "http-test", level: "error", stdout: new Writable({ write: (_c, _e, cb) => cb() }) });

/** A base app (JSON bodies on) with a route echoing what passed the guard and who the client is. */
async function start(): Promise<{ server: Server; url: string }> {
  const app = createBaseApp(logger, {}, { json: { limit: "64kb" }, form: { limit: "16kb" } });
  app.all("/{*rest}", (req, res) => {
    res.json({ ip: req.ip, query: req.query, body: req.body ?? null });
  });
  const server = await listen(app, "127.0.0.1", 0);
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** Sends raw bytes; resolves with the raw response once the server closes or stops sending. */
function raw(url: string, request: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1", () => socket.write(request));
    let data = "";
    socket.on("data", (d) => (data += d.toString("latin1")));
    socket.on("end", () => resolve(data));
    socket.on("error", reject);
    socket.setTimeout(5_000, () => {
      socket.destroy();
      resolve(data);
    });
  });
}

test("unstorable text: NUL and lone surrogates, anywhere in a JSON value", () => {
  assert.equal(unstorableTextProblem("plain ünïcode ✓ 🚢"), undefined);
  assert.match(unstorableTextProblem("a\0b") ?? "", /NUL/);
  assert.match(unstorableTextProblem("\ud800") ?? "", /lone surrogate/);
  assert.equal(unstorableTextProblem("\ud83d\udea2"), undefined, "a surrogate pair is fine");
  assert.equal(findUnstorableText({ a: [1, true, null, "ok", { b: "fine" }] }), undefined);
  assert.equal(findUnstorableText({ a: [1, "ok", { b: "x\0" }] }), "body.a[2].b contains a NUL character");
  assert.equal(findUnstorableText({ "k\0": 1 }), "a field name in body contains a NUL character");
  assert.equal(findUnstorableText(["\udc00"]), "body[0] is not well-formed Unicode (a lone surrogate)");
  let deep: unknown = "\0";
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.match(findUnstorableText(deep) ?? "", /NUL/, "deep nesting does not overflow the stack");
});

test("the base app refuses unstorable text in the path, query and JSON body, in the API's error format", async () => {
  const { server, url } = await start();
  try {
    const harbor = await fetch(`${url}/api/v2.0/projects?name=%00`);
    assert.equal(harbor.status, 400);
    assert.equal(harbor.headers.get("docker-distribution-api-version"), null);
    assert.deepEqual(await harbor.json(), {
      errors: [{ code: "BAD_REQUEST", message: 'query parameter "name" contains a NUL character; such text cannot be stored' }],
    });

    const oci = await fetch(`${url}/v2/lib/app/tags/list?last=%00`);
    assert.equal(oci.status, 400);
    assert.equal(oci.headers.get("docker-distribution-api-version"), "registry/2.0");
    assert.equal(((await oci.json()) as { errors: { code: string }[] }).errors[0]?.code, "BAD_REQUEST");

    for (const path of ["/api/v2.0/users/a%00b", "/v2/lib%00/tags/list", "/api/v2.0/projects?q=name%3D~%00", "/api/x?%00=1", "/api/x?a=ok&a=%00"]) {
      const r = await fetch(`${url}${path}`);
      assert.equal(r.status, 400, path);
      await r.body?.cancel();
    }
    const post = (body: string) => fetch(`${url}/api/v2.0/users`, { method: "POST", headers: { "content-type": "application/json" }, body });
    const nulBody = await post(JSON.stringify({ username: "x", profile: { realname: ["a", "b\u0000"] } }));
    assert.equal(nulBody.status, 400);
    assert.match(((await nulBody.json()) as { errors: { message: string }[] }).errors[0]!.message, /^body\.profile\.realname\[1\] contains a NUL character/);
    const form = await fetch(`${url}/c/login`, { method: "POST", body: new URLSearchParams({ principal: "adm\0in", password: "x" }) });
    assert.equal(form.status, 400);
    assert.match(((await form.json()) as { errors: { message: string }[] }).errors[0]!.message, /^body\.principal contains a NUL character/);
    const surrogate = await post('{"username":"\\ud800"}');
    assert.equal(surrogate.status, 400);
    await surrogate.body?.cancel();

    // What may be stored passes untouched; HEAD gets the status without a body.
    const fine = await post(JSON.stringify({ username: "ünï ✓ 🚢", q: "name=~x" }));
    assert.equal(fine.status, 200);
    assert.deepEqual(((await fine.json()) as { body: unknown }).body, { username: "ünï ✓ 🚢", q: "name=~x" });
    const head = await fetch(`${url}/v2/x/tags/list?last=%00`, { method: "HEAD" });
    assert.equal(head.status, 400);
    assert.equal(await head.text(), "");
  } finally {
    await stop(server);
  }
});

test("malformed HTTP gets a JSON error in the API's format, then the connection closes", async () => {
  const { server, url } = await start();
  try {
    const oci = await raw(url, "PATCH /v2/lib/app/blobs/uploads/x HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n");
    assert.match(oci, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(oci, /\r\nDocker-Distribution-Api-Version: registry\/2\.0\r\n/);
    assert.match(oci, /\r\nConnection: close\r\n/);
    assert.deepEqual(JSON.parse(oci.split("\r\n\r\n")[1]!), { errors: [{ code: "BAD_REQUEST", message: "malformed HTTP request" }] });

    const api = await raw(url, "POST /api/v2.0/users HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab");
    assert.match(api, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.doesNotMatch(api, /Docker-Distribution-Api-Version/);
    assert.equal(JSON.parse(api.split("\r\n\r\n")[1]!).errors[0].code, "BAD_REQUEST");

    const huge = await raw(url, `GET /api/x HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
    assert.match(huge, /^HTTP\/1\.1 431 /);
  } finally {
    await stop(server);
  }
});

test("the client address: one hop, from loopback only; X-Forwarded-For entries further left are ignored", async () => {
  assert.ok(isLoopbackAddress("127.0.0.1") && isLoopbackAddress("127.8.9.10") && isLoopbackAddress("::1") && isLoopbackAddress("::ffff:127.0.0.1"));
  assert.ok(!isLoopbackAddress("10.0.0.1") && !isLoopbackAddress("::ffff:10.0.0.1") && !isLoopbackAddress("::2"));
  assert.equal(trustNginxHop("127.0.0.1", 0), true);
  assert.equal(trustNginxHop("127.0.0.1", 1), false);
  assert.equal(trustNginxHop("192.0.2.1", 0), false);

  const { server, url } = await start();
  try {
    const ip = async (xff?: string) =>
      ((await (await fetch(`${url}/api/ip`, { headers: xff === undefined ? {} : { "x-forwarded-for": xff } })).json()) as { ip: string }).ip;
    assert.equal(await ip(), "127.0.0.1");
    // nginx sends exactly one address (the client's, as it determined it): believed.
    assert.equal(await ip("203.0.113.7"), "203.0.113.7");
    // Anything a client prepended is not.
    assert.equal(await ip("1.2.3.4, 203.0.113.7"), "203.0.113.7");
    assert.equal(await ip("1.2.3.4, 127.0.0.1"), "127.0.0.1");
  } finally {
    await stop(server);
  }
});
