/**
 * The front door as nginx runs it: the proxy's template rendered by `renderProxyConfig` and served
 * by a real nginx, in front of small stand-in upstreams that echo what reached them. Checks the
 * routes, the JSON errors nginx answers itself (OCI format on /v2/, Harbor's elsewhere), and the
 * client address the services are given, with and without trusted proxies.
 */
import assert from "node:assert/strict";
import { type Server } from "node:http";
import { availableParallelism } from "node:os";
import { after, before, describe, test } from "node:test";
import { echoUpstream, portOf, raw, startFrontDoor, type Echo, type FrontDoor } from "./front-door-harness.js";
import { pickFreeTcpPort } from "./ports.js";

/** Asserts an error in the registry API's format (OCI codes, Docker-Distribution-Api-Version). */
function assertOci(r: { status: number; headers: Record<string, string>; body: string }, status: number, code: string, what: string): void {
  assert.equal(r.status, status, `${what}: ${r.body}`);
  assert.match(r.headers["content-type"] ?? "", /^application\/json/, what);
  assert.equal(r.headers["docker-distribution-api-version"], "registry/2.0", what);
  assert.ok(r.headers["x-request-id"], `${what}: X-Request-Id`);
  const body = JSON.parse(r.body) as { errors: { code: string; message: string }[] };
  assert.equal(body.errors.length, 1, what);
  assert.equal(body.errors[0]!.code, code, what);
  assert.ok(body.errors[0]!.message.length > 0, what);
}

/** Asserts an error in Harbor's format (and no registry header). */
function assertHarbor(r: { status: number; headers: Record<string, string>; body: string }, status: number, code: string, what: string): void {
  assert.equal(r.status, status, `${what}: ${r.body}`);
  assert.match(r.headers["content-type"] ?? "", /^application\/json/, what);
  assert.equal(r.headers["docker-distribution-api-version"], undefined, what);
  const body = JSON.parse(r.body) as { errors: { code: string; message: string }[] };
  assert.deepEqual(Object.keys(body.errors[0]!).sort(), ["code", "message"], what);
  assert.equal(body.errors[0]!.code, code, what);
}

const get = (url: string, path: string, headers: Record<string, string> = {}) =>
  raw(url, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`);

describe("the nginx front door", () => {
  let registry: Server;
  let core: Server;
  let closedPort: number;
  let door: FrontDoor;

  before(async () => {
    registry = await echoUpstream("registry");
    core = await echoUpstream("core");
    closedPort = await pickFreeTcpPort();
    door = await startFrontDoor({ registry: portOf(registry), core: portOf(core), jobservice: closedPort });
  });
  after(async () => {
    await door?.stop();
    registry?.closeAllConnections();
    core?.closeAllConnections();
    await Promise.all([registry, core].map((s) => s && new Promise((r) => s.close(r))));
  });

  test("routes: /v2/ to the registry; /service/token, /api/ and /c/ (session login) to core", async () => {
    const echo = async (method: string, path: string) => {
      const r = await raw(door.url, `${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}`);
      assert.equal(r.status, 200, `${method} ${path}: ${r.body}`);
      return JSON.parse(r.body) as Echo;
    };
    assert.deepEqual(await echo("GET", "/v2/"), { service: "registry", method: "GET", url: "/v2/", xff: "127.0.0.1", realIp: "127.0.0.1", proto: "http" });
    assert.equal((await echo("GET", "/service/token?service=x")).service, "core");
    assert.equal((await echo("GET", "/api/v2.0/health")).service, "core");
    assert.deepEqual(await echo("POST", "/c/login"), { service: "core", method: "POST", url: "/c/login", xff: "127.0.0.1", realIp: "127.0.0.1", proto: "http" });
    assert.equal((await echo("POST", "/c/log_out")).url, "/c/log_out");
    assertHarbor(await get(door.url, "/api/internal/auth/sysadmin"), 404, "NOT_FOUND", "internal endpoints stay internal");
    // Metrics live on each service's own port (docs/operations.md, "Metrics"), never behind the door.
    for (const path of ["/metrics", "/v2/../metrics", "/api/../metrics"]) {
      const r = await get(door.url, path);
      assert.equal(r.status, 404, `${path} through the front door: ${r.status}`);
      assert.doesNotMatch(r.body, /"service":/, `${path} reached an upstream`);
    }
  });

  test("errors nginx answers itself are JSON: OCI on /v2/, Harbor on /api/", async () => {
    assertOci(await get(door.url, "/v2/lib/a%00b/tags/list"), 400, "BAD_REQUEST", "%00 in a /v2/ path");
    assertHarbor(await get(door.url, "/api/v2.0/projects/a%00b"), 400, "BAD_REQUEST", "%00 in an /api/ path");
    const long = "a".repeat(9 * 1024);
    assertOci(await get(door.url, `/v2/lib/app/tags/list?last=${long}`), 414, "BAD_REQUEST", "a /v2/ query over 8 KiB");
    assertHarbor(await get(door.url, `/api/v2.0/projects?q=${long}`), 414, "URI_TOO_LONG", "an /api/ query over 8 KiB");
    assertOci(await get(door.url, "/v2/", { "X-Big": "b".repeat(9 * 1024) }), 400, "BAD_REQUEST", "a header over 8 KiB on /v2/");
    // Malformed framing.
    const framed = (path: string, header: string) => raw(door.url, `PUT ${path} HTTP/1.1\r\nHost: x\r\n${header}\r\n\r\nabc`);
    assertOci(await framed("/v2/lib/app/blobs/uploads/x", "Content-Length: abc"), 400, "BAD_REQUEST", "bad Content-Length on /v2/");
    assertHarbor(await framed("/api/v2.0/users", "Content-Length: 3\r\nContent-Length: 4"), 400, "BAD_REQUEST", "two Content-Lengths on /api/");
    assertOci(await framed("/v2/lib/app/blobs/uploads/x", "Transfer-Encoding: gzip"), 501, "UNSUPPORTED", "an unknown Transfer-Encoding on /v2/");
    assertHarbor(await framed("/api/v2.0/users", "Transfer-Encoding: gzip"), 501, "NOT_IMPLEMENTED", "an unknown Transfer-Encoding on /api/");
    // The error page itself is not a route.
    assertHarbor(await get(door.url, "/_berth/error"), 404, "NOT_FOUND", "the error location is internal");
    // A HEAD gets the status and headers, no body.
    const head = await raw(door.url, "HEAD /v2/lib/a%00b/tags/list HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.equal(head.status, 400);
    assert.equal(head.body, "");
    // The services' own errors pass through untouched.
    const own = await get(door.url, "/v2/own-error");
    assert.equal(own.status, 404);
    assert.equal(own.body, '{"errors":[{"code":"NAME_UNKNOWN","message":"the service\'s own"}]}');
  });

  test("an upstream that is down: 502 with Retry-After, in each API's format", async () => {
    const down = await startFrontDoor({ registry: closedPort, core: closedPort, jobservice: closedPort });
    try {
      const oci = await get(down.url, "/v2/lib/app/manifests/latest");
      assertOci(oci, 502, "UNAVAILABLE", "registry down");
      assert.equal(oci.headers["retry-after"], "5");
      const harbor = await get(down.url, "/api/v2.0/projects");
      assertHarbor(harbor, 502, "BAD_GATEWAY", "core down");
      assert.equal(harbor.headers["retry-after"], "5");
      assertHarbor(await get(down.url, "/service/token"), 502, "BAD_GATEWAY", "token service down");
    } finally {
      await down.stop();
    }
  });

  test("an upstream that does not answer in time: 504 in each API's format", async () => {
    // The template waits 900 s for blob transfers; this run waits 1 s to provoke the timeout.
    const slow = await startFrontDoor({ registry: portOf(registry), core: portOf(core), jobservice: closedPort }, { tweak: (c) => {
      assert.ok(c.includes("proxy_read_timeout 900s;"));
      return c.replace("proxy_read_timeout 900s;", "proxy_read_timeout 1s;");
    } });
    try {
      const oci = await get(slow.url, "/v2/hang");
      assertOci(oci, 504, "UNAVAILABLE", "registry too slow");
      assert.equal(oci.headers["retry-after"], "5");
      assertHarbor(await get(slow.url, "/api/hang"), 504, "GATEWAY_TIMEOUT", "core too slow");
    } finally {
      await slow.stop();
    }
  });

  test("the client address: a client's X-Forwarded-For is not believed unless its peer is a trusted proxy", async () => {
    const seen = async (url: string, xff?: string) => JSON.parse((await get(url, "/v2/", xff === undefined ? {} : { "X-Forwarded-For": xff })).body) as Echo;
    // No trusted proxies (the default): nginx sets the address itself; what the client sent is dropped.
    assert.deepEqual(await seen(door.url, "1.2.3.4"), { service: "registry", method: "GET", url: "/v2/", xff: "127.0.0.1", realIp: "127.0.0.1", proto: "http" });
    assert.equal((await seen(door.url, "1.2.3.4, 5.6.7.8")).xff, "127.0.0.1");

    const behindProxy = await startFrontDoor({ registry: portOf(registry), core: portOf(core), jobservice: closedPort }, { trustedProxies: ["127.0.0.1/32"] });
    try {
      // The peer (127.0.0.1) is trusted: the address it forwards is the client's.
      assert.deepEqual(await seen(behindProxy.url, "1.2.3.4"), { service: "registry", method: "GET", url: "/v2/", xff: "1.2.3.4", realIp: "1.2.3.4", proto: "http" });
      // Only the last untrusted hop counts: a client cannot prepend its own pick.
      assert.equal((await seen(behindProxy.url, "6.6.6.6, 1.2.3.4")).xff, "1.2.3.4");
      assert.equal((await seen(behindProxy.url, "1.2.3.4, 127.0.0.1")).xff, "1.2.3.4");
      assert.equal((await seen(behindProxy.url)).xff, "127.0.0.1");
    } finally {
      await behindProxy.stop();
    }
  });

  test("upstream connections: kept alive with fixed upstreams, one per request with names resolved at request time", async () => {
    // The containers' mode (a resolver, so replicas that come and go are noticed) costs nginx 1.22
    // its upstream keep-alive: each request opens a connection. An address literal behaves as a
    // resolved name here without needing a DNS server.
    const counted = await echoUpstream("registry");
    let connections = 0;
    counted.on("connection", () => connections++);
    try {
      for (const resolver of [undefined, "127.0.0.1"]) {
        connections = 0;
        const d = await startFrontDoor({ registry: portOf(counted), core: portOf(core), jobservice: closedPort }, resolver === undefined ? {} : { resolver });
        try {
          for (let i = 0; i < 10; i++) assert.equal((await get(d.url, "/v2/")).status, 200);
        } finally {
          await d.stop();
        }
        if (resolver === undefined) assert.ok(connections <= availableParallelism(), `fixed upstreams: ${connections} connections for 10 requests (one pool per worker)`);
        else assert.equal(connections, 10, "resolved names: a connection per request");
      }
    } finally {
      counted.closeAllConnections();
      await new Promise((r) => counted.close(r));
    }
  });
});
