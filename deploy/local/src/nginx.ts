import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import { ConfigError } from "@berth/config";
import { requireExecutable } from "./binaries.js";
import { ensureTraversable, firstExistingUser } from "./os-user.js";
import type { ProcessSupervisor, SupervisedChild } from "./process-supervisor.js";
import { httpProbe, StartupError, waitUntil } from "./wait.js";

const PLACEHOLDER = /\{\{([A-Z0-9_]+)\}\}/g;
const SECTION = /^\s*#\{\{([#/])([A-Z0-9_]+)\}\}\s*$/;

/**
 * Fills `{{NAME}}` placeholders (nginx's own `$variables` are untouched) and keeps or drops
 * sections: the lines between `#{{#NAME}}` and `#{{/NAME}}` (each alone on its line) stay when
 * NAME's value is `on` and go when it is `off`; sections may nest. Every placeholder in a kept
 * line must have a value and every value must name a placeholder or section of the template,
 * so a typo fails loudly. services/proxy/render-template.awk does the same for the proxy image.
 */
export function renderTemplate(template: string, values: Record<string, string>): string {
  const known = new Set<string>();
  const missing = new Set<string>();
  const problems: string[] = [];
  const open: { name: string; keep: boolean }[] = [];
  const out: string[] = [];
  for (const line of template.split("\n")) {
    const section = SECTION.exec(line);
    if (section) {
      const [, kind, name = ""] = section;
      known.add(name);
      if (kind === "#") {
        const value = values[name];
        if (value === undefined) missing.add(`#${name}`);
        else if (value !== "on" && value !== "off") problems.push(`{{#${name}}} must be on or off, not ${JSON.stringify(value)}`);
        open.push({ name, keep: value === "on" });
      } else if (open.pop()?.name !== name) {
        problems.push(`{{/${name}}} closes no open {{#${name}}}`);
      }
      continue;
    }
    const keep = open.every((s) => s.keep);
    const rendered = line.replace(PLACEHOLDER, (_m, name: string) => {
      known.add(name);
      const value = values[name];
      if (keep && value === undefined) missing.add(name);
      return value ?? "";
    });
    if (keep) out.push(rendered);
  }
  for (const s of open) problems.push(`{{#${s.name}}} is never closed`);
  const unused = Object.keys(values).filter((k) => !known.has(k));
  if (missing.size || unused.length || problems.length) {
    throw new Error(`nginx template: ${[...[...missing].map((m) => `no value for {{${m}}}`), ...unused.map((u) => `{{${u}}} not in the template`), ...problems].join("; ")}`);
  }
  return out.join("\n");
}

/** The variable naming the proxies in front of nginx whose `X-Forwarded-For` is believed. */
export const TRUSTED_PROXIES_VAR = "BERTH_TRUSTED_PROXIES";

const proxyEntries = (raw: string | undefined) => (raw ?? "").split(/[\s,]+/).filter((e) => e !== "");

/** What is wrong with a `BERTH_TRUSTED_PROXIES` value (one message per bad entry; none: fine). */
export function trustedProxiesProblems(raw: string | undefined): string[] {
  const problems: string[] = [];
  for (const entry of proxyEntries(raw)) {
    const [address = "", prefix, ...rest] = entry.split("/");
    const family = isIP(address);
    const max = family === 6 ? 128 : 32;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= max);
    if (family === 0 || !prefixOk || rest.length > 0) {
      problems.push(`${JSON.stringify(entry)} is not an IP address or CIDR block (e.g. 10.0.0.0/8, 192.0.2.7, fd00::/8)`);
    }
  }
  return problems;
}

/**
 * `BERTH_TRUSTED_PROXIES`: addresses or CIDR blocks (IPv4 or IPv6), separated by commas or
 * spaces; unset or empty: none (nginx believes no `X-Forwarded-For` at all).
 *
 * @throws {ConfigError} naming every entry that is not an address or a CIDR block.
 */
export function parseTrustedProxies(raw: string | undefined): string[] {
  const problems = trustedProxiesProblems(raw);
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `${TRUSTED_PROXIES_VAR}: ${p}`));
  return proxyEntries(raw);
}

/**
 * nginx's realip directives for `proxies` (empty: none). With them, a request whose peer is one
 * of these proxies gets as `$remote_addr` the last address of its `X-Forwarded-For` that is not
 * itself a trusted proxy (`real_ip_recursive on`); any other peer's header is ignored.
 */
export function realIpDirectives(proxies: readonly string[]): string {
  if (proxies.length === 0) return "    # (no trusted proxies: BERTH_TRUSTED_PROXIES is empty)";
  return [...proxies.map((p) => `    set_real_ip_from ${p};`), "    real_ip_header X-Forwarded-For;", "    real_ip_recursive on;"].join("\n");
}

/** What the proxy's template needs, in structured form (see {@link renderProxyConfig}). */
export interface ProxyConfigOptions {
  /** nginx's prefix: pid, temp files, fallback error log. */
  prefix: string;
  htmlRoot: string;
  listenHost: string;
  listenPort: number;
  /** `host:port` of each service. */
  upstreams: { registry: string; core: string; jobservice: string };
  syslogPort: number;
  /** The registry's filesystem storage root, if it has one. */
  blobRoot?: string | undefined;
  /** See {@link parseTrustedProxies}. */
  trustedProxies?: readonly string[] | undefined;
  /** The user workers run as when the master runs as root. */
  workerUser?: string | undefined;
  /** The log-collector's syslog host (default 127.0.0.1). */
  syslogHost?: string | undefined;
  /**
   * A DNS server (`127.0.0.11` in Docker): upstreams are then names looked up at request time,
   * so replicas that come and go are noticed; unset: fixed addresses with keep-alive.
   */
  resolver?: string | undefined;
  /** HTTPS (see {@link ProxyTls}); unset: plain HTTP only. */
  tls?: ProxyTls | undefined;
}

/** HTTPS at the front door: nginx serves it on `listenHost:port`, and the HTTP port redirects there. */
export interface ProxyTls {
  /** PEM: the server's certificate, then its chain. */
  certFile: string;
  keyFile: string;
  /** Where nginx listens for HTTPS (with the options' `listenHost`). */
  port: number;
  /** The HTTPS port clients reach (the published one, in containers): the redirect names it. */
  publicPort: number;
  /** `Strict-Transport-Security` max-age in seconds; 0: no such header. */
  hstsMaxAge: number;
}

/** The proxy's template (services/proxy/nginx.conf.template) rendered for `options`. */
export function renderProxyConfig(template: string, options: ProxyConfigOptions): string {
  return renderTemplate(template, {
    USER_DIRECTIVE: options.workerUser === undefined ? "" : `user ${options.workerUser};`,
    PREFIX: options.prefix,
    HTML_ROOT: options.htmlRoot,
    LISTEN: listenAddress(options.listenHost, options.listenPort),
    UPSTREAM_REGISTRY: options.upstreams.registry,
    UPSTREAM_CORE: options.upstreams.core,
    UPSTREAM_JOBSERVICE: options.upstreams.jobservice,
    STATIC_UPSTREAMS: options.resolver === undefined ? "on" : "off",
    DNS_UPSTREAMS: options.resolver === undefined ? "off" : "on",
    ...(options.resolver !== undefined && { RESOLVER: options.resolver }),
    SYSLOG_HOST: options.syslogHost ?? "127.0.0.1",
    SYSLOG_PORT: String(options.syslogPort),
    BLOB_ROOT: options.blobRoot ?? join(options.prefix, "no-blob-root"),
    REAL_IP: realIpDirectives(options.trustedProxies ?? []),
    HSTS: options.tls && options.tls.hstsMaxAge > 0 ? `max-age=${options.tls.hstsMaxAge}` : "",
    TLS: options.tls ? "on" : "off",
    ...(options.tls && {
      LISTEN_TLS: listenAddress(options.listenHost, options.tls.port),
      TLS_CERT: options.tls.certFile,
      TLS_KEY: options.tls.keyFile,
      REDIRECT_PORT: options.tls.publicPort === 443 ? "" : `:${options.tls.publicPort}`,
    }),
  });
}

export interface NginxOptions {
  /** nginx's prefix: nginx.conf, nginx.pid, html/, logs/, tmp/. */
  dir: string;
  templateFile: string;
  htmlDir: string;
  listenHost: string;
  listenPort: number;
  upstreams: { registry: number; core: number; jobservice: number };
  syslogPort: number;
  /** The registry's filesystem storage root (nginx sends blob files from it), if it has one. */
  blobRoot?: string | undefined;
  /** Proxies in front of nginx whose `X-Forwarded-For` is believed (see {@link parseTrustedProxies}). */
  trustedProxies?: readonly string[] | undefined;
  /** HTTPS on `listenHost:tls.port`; the HTTP port then redirects to it. */
  tls?: ProxyTls | undefined;
  supervisor: ProcessSupervisor;
  log: (line: string) => void;
  signal?: AbortSignal | undefined;
  tier: number;
}

export interface RunningNginx {
  child: SupervisedChild;
  configFile: string;
}

function listenAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) => resolvePromise({ code, output }));
  });
}

/**
 * Renders the proxy's template into `<dir>/nginx.conf`, checks it with `nginx -t`, and runs
 * nginx in the foreground (master + workers; as root the workers run as www-data).
 * Stops gracefully with SIGQUIT, then SIGTERM.
 */
export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  const binary = requireExecutable("nginx", "nginx");
  const dir = resolve(options.dir);
  const htmlRoot = join(dir, "html");
  mkdirSync(join(dir, "logs"), { recursive: true });
  mkdirSync(join(dir, "tmp"), { recursive: true });
  // A copy under the data directory, so workers reach it even when the checkout is private.
  rmSync(htmlRoot, { recursive: true, force: true });
  cpSync(options.htmlDir, htmlRoot, { recursive: true });

  let workerUser: string | undefined;
  if (process.getuid?.() === 0) {
    const worker = firstExistingUser(["www-data", "nginx", "nobody"]);
    if (!worker) throw new StartupError("running as root, but there is no www-data, nginx or nobody user for nginx's workers");
    const changed = ensureTraversable(htmlRoot, worker);
    if (changed.length) options.log(`made ${changed.join(", ")} searchable by others (o+x) so nginx's workers can reach ${htmlRoot}`);
    workerUser = worker.name;
    if (options.blobRoot !== undefined && existsSync(options.blobRoot)) {
      const reachable = ensureTraversable(options.blobRoot, worker);
      if (reachable.length) options.log(`made ${reachable.join(", ")} searchable by others (o+x) so nginx's workers can send blobs from ${options.blobRoot}`);
    }
  }
  const configFile = join(dir, "nginx.conf");
  const config = renderProxyConfig(readFileSync(options.templateFile, "utf8"), {
    workerUser,
    prefix: dir,
    htmlRoot,
    listenHost: options.listenHost,
    listenPort: options.listenPort,
    upstreams: {
      registry: `127.0.0.1:${options.upstreams.registry}`,
      core: `127.0.0.1:${options.upstreams.core}`,
      jobservice: `127.0.0.1:${options.upstreams.jobservice}`,
    },
    syslogPort: options.syslogPort,
    blobRoot: options.blobRoot,
    trustedProxies: options.trustedProxies,
    tls: options.tls,
  });
  writeFileSync(configFile, config);
  // -e: the error log nginx uses before it has read the config (Debian's default is /var/log/nginx).
  const baseArgs = ["-p", dir, "-c", configFile, "-e", join(dir, "logs", "error.log")];
  const test = await run(binary, [...baseArgs, "-t", "-q"]);
  if (test.code !== 0) throw new StartupError(`nginx rejected ${configFile}:\n${test.output.trim()}`);
  rmSync(join(dir, "nginx.pid"), { force: true });

  const child = await options.supervisor.spawn({
    name: "proxy",
    command: binary,
    args: [...baseArgs, "-g", "daemon off;"],
    tier: options.tier,
    stopSteps: [
      { signal: "SIGQUIT", waitMs: 4_000 },
      { signal: "SIGTERM", waitMs: 1_000 },
    ],
    deathSignal: "SIGTERM",
    format: "nginx",
  });
  const probeHost = options.listenHost === "0.0.0.0" || options.listenHost === "::" ? "127.0.0.1" : options.listenHost;
  const probe = options.tls ? `https://${listenAddress(probeHost, options.tls.port)}/` : `http://${listenAddress(probeHost, options.listenPort)}/`;
  await waitUntil(httpProbe(probe), {
    what: "nginx",
    timeoutMs: 30_000,
    child,
    signal: options.signal,
  });
  return { child, configFile };
}
