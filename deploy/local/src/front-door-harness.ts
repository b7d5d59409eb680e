/**
 * A real nginx over the proxy's template (rendered by `renderProxyConfig`) in front of small
 * stand-in upstreams that echo what reached them: what the front door's integration tests run.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { requireExecutable } from "./binaries.js";
import { renderProxyConfig, type ProxyTls } from "./nginx.js";
import { pickFreeTcpPort, pickFreeUdpPort } from "./ports.js";
import { httpProbe, waitUntil } from "./wait.js";

const template = readFileSync(fileURLToPath(new URL("../../../services/proxy/nginx.conf.template", import.meta.url)), "utf8");

/** What an echo upstream saw. */
export interface Echo {
  service: string;
  method: string;
  url: string;
  xff: string | undefined;
  realIp: string | undefined;
  /** X-Forwarded-Proto: the scheme the client used. */
  proto: string | undefined;
}

/** An upstream that answers every request with what it saw; `hang` paths never answer. */
export async function echoUpstream(service: string): Promise<Server> {
  const server = createServer((req: IncomingMessage, res) => {
    if (req.url?.startsWith("/v2/hang") || req.url?.startsWith("/api/hang")) return; // never answers
    if (req.url === "/v2/located") {
      res.writeHead(202, { location: "/v2/lib/app/blobs/uploads/abc" }).end();
      return;
    }
    if (req.url === "/v2/own-error") {
      res.writeHead(404, { "content-type": "application/json" }).end('{"errors":[{"code":"NAME_UNKNOWN","message":"the service\'s own"}]}');
      return;
    }
    req.resume();
    const echo: Echo = {
      service,
      method: req.method ?? "",
      url: req.url ?? "",
      xff: req.headers["x-forwarded-for"] as string | undefined,
      realIp: req.headers["x-real-ip"] as string | undefined,
      proto: req.headers["x-forwarded-proto"] as string | undefined,
    };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(echo));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

export const portOf = (server: Server) => (server.address() as AddressInfo).port;

export interface FrontDoor {
  /** Plain HTTP (with HTTPS on: the redirect). */
  url: string;
  /** With HTTPS. */
  httpsUrl: string | undefined;
  stop(): Promise<void>;
}

export interface FrontDoorOptions {
  trustedProxies?: string[];
  /** Edits the rendered config (the 504 check shortens the upstream read timeout, 900 s for blob transfers). */
  tweak?: (config: string) => string;
  resolver?: string;
  /** HTTPS on a port of its own (`port` and `publicPort` are picked here). */
  tls?: Omit<ProxyTls, "port" | "publicPort">;
}

/** A real nginx over the rendered template, its landing page and an empty `docs/` folder in html/. */
export async function startFrontDoor(upstreams: { registry: number; core: number; jobservice: number }, options: FrontDoorOptions = {}): Promise<FrontDoor> {
  const { trustedProxies = [], tweak = (c: string) => c, resolver } = options;
  const nginx = requireExecutable("nginx", "nginx");
  const dir = mkdtempSync(join(tmpdir(), "berth-front-door-"));
  for (const d of ["logs", "tmp", "html"]) mkdirSync(join(dir, d));
  writeFileSync(join(dir, "html", "index.html"), "<!doctype html><title>Berth</title>\n");
  mkdirSync(join(dir, "html", "docs"));
  writeFileSync(join(dir, "html", "docs", "index.html"), "docs\n");
  const port = await pickFreeTcpPort();
  const tlsPort = options.tls && (await pickFreeTcpPort());
  const config = renderProxyConfig(template, {
    prefix: dir,
    htmlRoot: join(dir, "html"),
    listenHost: "127.0.0.1",
    listenPort: port,
    upstreams: { registry: `127.0.0.1:${upstreams.registry}`, core: `127.0.0.1:${upstreams.core}`, jobservice: `127.0.0.1:${upstreams.jobservice}` },
    syslogPort: await pickFreeUdpPort(),
    trustedProxies,
    resolver,
    // As root, workers run as this same user: they need nothing the test's private directory hides.
    workerUser: process.getuid?.() === 0 ? userInfo().username : undefined,
    tls: options.tls && tlsPort ? { ...options.tls, port: tlsPort, publicPort: tlsPort } : undefined,
  });
  writeFileSync(join(dir, "nginx.conf"), tweak(config));
  const args = ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "logs", "error.log")];
  const child: ChildProcess = spawn(nginx, [...args, "-g", "daemon off;"], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const httpsUrl = tlsPort ? `https://127.0.0.1:${tlsPort}` : undefined;
  try {
    await waitUntil(httpProbe(`${httpsUrl ?? url}/`), { what: "nginx", timeoutMs: 15_000 });
  } catch (err) {
    child.kill("SIGKILL");
    throw new Error(`nginx did not start: ${stderr}`, { cause: err });
  }
  return {
    url,
    httpsUrl,
    async stop() {
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Raw bytes in, raw response out (for requests fetch refuses to send). */
export function raw(url: string, request: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1", () => socket.write(request));
    let data = "";
    socket.on("data", (d) => (data += d.toString("latin1")));
    socket.on("error", reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no complete answer: ${JSON.stringify(data)}`)));
    socket.on("close", () => {
      const split = data.indexOf("\r\n\r\n");
      const head = data.slice(0, split);
      let body = data.slice(split + 4);
      const [statusLine = "", ...lines] = head.split("\r\n");
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
      if (headers["transfer-encoding"] === "chunked") body = dechunk(body);
      resolve({ status: Number(statusLine.split(" ")[1]), headers, body });
    });
  });
}

/** The payload of a chunked body. */
function dechunk(body: string): string {
  let out = "";
  for (let at = 0; ; ) {
    const eol = body.indexOf("\r\n", at);
    const size = parseInt(body.slice(at, eol), 16);
    if (!(size > 0)) return out;
    out += body.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}
