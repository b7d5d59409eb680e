/**
 * HTTPS at the front door, as nginx serves it from the proxy's template: the certificate with its
 * chain, TLS 1.2 and 1.3 only with modern ciphers, HTTP/2, session resumption without tickets,
 * HSTS when asked, and plain HTTP redirected with 308 — except the registry API (refused, 403)
 * and nginx's own error answers.
 */
import assert from "node:assert/strict";
import { type Server } from "node:http";
import { connect as http2Connect } from "node:http2";
import { request as httpsRequest } from "node:https";
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from "node:tls";
import { after, before, describe, test } from "node:test";
import { TestPki, type TestCert } from "@berth/tls/testing";
import { echoUpstream, portOf, raw, startFrontDoor, type Echo, type FrontDoor } from "./front-door-harness.js";
import { pickFreeTcpPort } from "./ports.js";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe("HTTPS at the nginx front door", () => {
  let pki: TestPki;
  let root: TestCert;
  let registry: Server;
  let core: Server;
  let door: FrontDoor;
  let hsts: FrontDoor;
  let https: string;

  before(async () => {
    pki = new TestPki();
    root = await pki.issue("root", { ca: true });
    const intermediate = await pki.issue("intermediate", { ca: true, issuer: root });
    const server = await pki.issue("server", { issuer: intermediate, hosts: ["127.0.0.1", "localhost"] });
    const tls = { certFile: pki.bundle("chain.pem", [server, intermediate]), keyFile: server.keyFile };
    registry = await echoUpstream("registry");
    core = await echoUpstream("core");
    const upstreams = { registry: portOf(registry), core: portOf(core), jobservice: await pickFreeTcpPort() };
    door = await startFrontDoor(upstreams, { tls: { ...tls, hstsMaxAge: 0 } });
    hsts = await startFrontDoor(upstreams, { tls: { ...tls, hstsMaxAge: 31_536_000 } });
    https = door.httpsUrl!;
  });

  after(async () => {
    await door?.stop();
    await hsts?.stop();
    for (const s of [registry, core]) {
      s?.closeAllConnections();
      await new Promise((r) => (s ? s.close(r) : r(undefined)));
    }
    pki?.cleanup();
  });

  /** A request over HTTPS trusting only the test root (nginx must send the intermediate). */
  function request(base: string, method: string, path: string, body?: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(`${base}${path}`, { method, ca: root.pem, agent: false, headers: body === undefined ? {} : { "content-length": Buffer.byteLength(body) } }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on("error", reject);
      req.end(body);
    });
  }

  /** A TLS handshake with `options`; resolves with the socket (to inspect, then destroy) or the error. */
  function handshake(options: ConnectionOptions): Promise<TLSSocket | Error> {
    const { port } = new URL(https);
    return new Promise((resolve) => {
      const socket = tlsConnect({ host: "127.0.0.1", port: Number(port), ca: root.pem, servername: "localhost", ...options }, () => resolve(socket));
      socket.on("error", (err) => resolve(err));
    });
  }

  test("the certificate and its chain verify against the root alone; the upstreams learn the scheme; Locations stay relative", async () => {
    const v2 = await request(https, "GET", "/v2/");
    assert.equal(v2.status, 200, v2.body);
    assert.deepEqual(JSON.parse(v2.body) as Echo, { service: "registry", method: "GET", url: "/v2/", xff: "127.0.0.1", realIp: "127.0.0.1", proto: "https" });
    const located = await request(https, "POST", "/v2/located", "");
    assert.equal(located.headers["location"], "/v2/lib/app/blobs/uploads/abc", "a service's relative Location passes unchanged: the client's https base applies");
    const folder = await request(https, "GET", "/docs");
    assert.equal(folder.status, 301);
    assert.equal(folder.headers["location"], "/docs/", "nginx's own redirects name no scheme, host or port");
  });

  test("plain HTTP: redirected to the same path over HTTPS with 308 (method and body kept), except the registry API", async () => {
    const port = new URL(https).port;
    const plain = (method: string, path: string, body = "") =>
      raw(door.url, `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${new URL(door.url).port}\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    for (const [method, path, body] of [
      ["GET", "/", ""],
      ["GET", "/api/v2.0/projects?page=2", ""],
      ["POST", "/api/v2.0/projects", "{}"],
      ["GET", "/service/token?service=berth-registry", ""],
      ["GET", "/v2x", ""],
    ] as const) {
      const r = await plain(method, path, body);
      assert.equal(r.status, 308, `${method} ${path}`);
      assert.equal(r.headers["location"], `https://127.0.0.1:${port}${path}`, `${method} ${path}`);
      assert.equal(r.headers["strict-transport-security"], undefined, "never HSTS over plain HTTP");
    }
    // Following it keeps the method and the body (what a client does with a 308).
    const followed = await request(https, "POST", "/api/v2.0/projects", "{}");
    assert.equal((JSON.parse(followed.body) as Echo).method, "POST");
    // The registry API: refused, in its own error format, naming the HTTPS address. A client
    // going on over plain HTTP would send its tokens in clear text.
    for (const [method, path, body] of [
      ["GET", "/v2/", ""],
      ["GET", "/v2", ""],
      ["HEAD", "/v2/lib/app/blobs/sha256:00", ""],
      ["PATCH", "/v2/lib/app/blobs/uploads/abc", "bytes"],
    ] as const) {
      const r = await plain(method, path, body);
      assert.equal(r.status, 403, `${method} ${path}`);
      assert.equal(r.headers["docker-distribution-api-version"], "registry/2.0");
      assert.ok(r.headers["x-request-id"]);
      assert.equal(r.headers["location"], undefined);
      if (method !== "HEAD") {
        assert.deepEqual(JSON.parse(r.body), {
          errors: [
            {
              code: "DENIED",
              message: `this registry is served over HTTPS only: use https://127.0.0.1:${port} (plain HTTP is refused so that no credentials or tokens cross the network in clear text)`,
            },
          ],
        });
      }
    }
    // A request line too broken to redirect gets the JSON error, not a redirect.
    const broken = await raw(door.url, "GET /api/a%00b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.equal(broken.status, 400);
    assert.match(broken.body, /"code":"BAD_REQUEST"/);
    // The internal location is not a route over HTTPS either.
    assert.equal((await request(https, "GET", "/_berth/https-only")).status, 404);
  });

  test("TLS 1.2 and 1.3 only, AEAD ciphers with forward secrecy only", async () => {
    for (const version of ["TLSv1.2", "TLSv1.3"] as const) {
      const socket = await handshake({ minVersion: version, maxVersion: version });
      assert.ok(!(socket instanceof Error), `${version}: ${String(socket)}`);
      assert.equal(socket.getProtocol(), version);
      socket.destroy();
    }
    // The client would accept TLS 1.1 (security level 0): the server is the one that refuses.
    const old = await handshake({ minVersion: "TLSv1", maxVersion: "TLSv1.1", ciphers: "DEFAULT@SECLEVEL=0" });
    assert.ok(old instanceof Error, "TLS 1.1 refused");
    assert.match(String((old as NodeJS.ErrnoException).code), /PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|NO_PROTOCOLS/, String(old));
    const cbc = await handshake({ maxVersion: "TLSv1.2", ciphers: "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA" });
    assert.ok(cbc instanceof Error, "CBC cipher suites refused");
    assert.match(String((cbc as NodeJS.ErrnoException).code), /HANDSHAKE_FAILURE|NO_SHARED_CIPHER/, String(cbc));
  });

  test("sessions resume from the server's cache, never from a ticket", async () => {
    const first = await handshake({ maxVersion: "TLSv1.2" });
    assert.ok(!(first instanceof Error), String(first));
    const session = first.getSession();
    assert.equal(first.getTLSTicket(), undefined, "no session ticket");
    first.destroy();
    const second = await handshake({ maxVersion: "TLSv1.2", session });
    assert.ok(!(second instanceof Error), String(second));
    assert.equal(second.isSessionReused(), true, "resumed by session id from nginx's shared cache");
    second.destroy();
  });

  test("HTTP/2 by ALPN, requests streamed to the upstreams over HTTP/1.1", async () => {
    const alpn = await handshake({ ALPNProtocols: ["h2", "http/1.1"] });
    assert.ok(!(alpn instanceof Error), String(alpn));
    assert.equal(alpn.alpnProtocol, "h2");
    alpn.destroy();
    const session = http2Connect(https, { ca: root.pem });
    try {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const stream = session.request({ ":method": "PATCH", ":path": "/v2/lib/app/blobs/uploads/abc" });
        let status = 0;
        let body = "";
        stream.on("response", (headers) => (status = Number(headers[":status"])));
        stream.setEncoding("utf8");
        stream.on("data", (d: string) => (body += d));
        stream.on("end", () => resolve({ status, body }));
        stream.on("error", reject);
        // A body of unknown length (no content-length), as a chunked PATCH is over HTTP/1.1.
        stream.write("x".repeat(100_000));
        stream.end("y");
      });
      assert.equal(answer.status, 200, answer.body);
      assert.deepEqual(JSON.parse(answer.body) as Echo, { service: "registry", method: "PATCH", url: "/v2/lib/app/blobs/uploads/abc", xff: "127.0.0.1", realIp: "127.0.0.1", proto: "https" });
    } finally {
      session.close();
    }
  });

  test("HSTS only when BERTH_TLS_HSTS_MAX_AGE asks for it, on every kind of HTTPS answer", async () => {
    assert.equal((await request(https, "GET", "/api/v2.0/health")).headers["strict-transport-security"], undefined);
    for (const path of ["/", "/api/v2.0/health", "/v2/", "/v2/a%00b", "/v2/own-error"]) {
      const r = await request(hsts.httpsUrl!, "GET", path);
      assert.equal(r.headers["strict-transport-security"], "max-age=31536000", `${path} (${r.status})`);
    }
    for (const path of ["/api/v2.0/health", "/v2/"]) {
      const plain = await raw(hsts.url, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.equal(plain.status, path === "/v2/" ? 403 : 308);
      assert.equal(plain.headers["strict-transport-security"], undefined, "never over plain HTTP");
    }
  });
});
