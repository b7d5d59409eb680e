// Stalled dependencies the way they happen: PostgreSQL's and Redis's real processes SIGSTOPped (a
// hung disk or a network partition leaves sockets open and answers nothing), then SIGCONTed.
// Through the nginx front door, with skopeo and plain HTTP: pulls, pushes, tokens and API calls
// answer 503 + Retry-After in their protocol's error format within seconds (never hang); an upload
// in flight leaves no partial blob; health says which component is stalled; after SIGCONT
// everything works again without restarting anything. With Redis stalled, logins keep working
// (the rate limiter fails open) and the logs say so once.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreApi } from "./support/api.js";
import { basicAuth, eventually } from "./support/http.js";
import { ociImageLayout, sha256 } from "./support/images.js";
import { Skopeo } from "./support/skopeo.js";
import { startTestStack, type TestStack } from "./support/stack.js";

const MiB = 1024 * 1024;
/** Far above the request paths' limits (a stalled connection is given up after 6 s, a connect after 3 s) and far below a hang. */
const BOUND_MS = 15_000;
const SERVICES = ["core", "registry", "jobservice", "scanner-adapter", "log-collector", "proxy"];

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  ms: number;
}

/** The children of `pid` (from /proc), e.g. a postmaster's backends and auxiliary processes. */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) found.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return found;
}

describe("stalled PostgreSQL and Redis (SIGSTOP/SIGCONT) through the front door", { timeout: 600_000 }, () => {
  let stack: TestStack;
  let api: CoreApi;
  let skopeo: Skopeo;
  let admin: string;
  let token: string;
  let servicePids: Record<string, number | undefined>;
  /** The image pushed as `v1` before any fault. */
  let v1: ReturnType<typeof ociImageLayout>;
  const repo = "library/faults";
  const work = mkdtempSync(join(tmpdir(), "berth-e2e-faults-"));
  /** Processes this test stopped, resumed by `resume()` (and always in `after`). */
  const stopped: number[] = [];
  const stop = (pids: number[]) => {
    for (const pid of pids) {
      process.kill(pid, "SIGSTOP");
      stopped.push(pid);
    }
  };
  const resume = () => {
    for (const pid of stopped.splice(0)) process.kill(pid, "SIGCONT");
  };

  /** Every process of the PostgreSQL cluster: the postmaster first (no new forks), then its children. */
  const stallPostgres = () => {
    const postmaster = stack.pidOf("postgres");
    assert.ok(postmaster, "pids.json names postgres");
    stop([postmaster]);
    const children = childrenOf(postmaster);
    assert.ok(children.length > 0, "the postmaster has backends and auxiliary processes");
    stop(children);
  };

  async function http(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Answer> {
    const started = performance.now();
    const res = await fetch(`${stack.baseUrl}${path}`, { method, headers, ...(body ? { body } : {}), signal: AbortSignal.timeout(60_000) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, ms: performance.now() - started };
  }
  const bearer = () => ({ authorization: `Bearer ${token}` });

  /** 503 with Retry-After within the bound, in the OCI (`/v2/`) or Harbor (`/api/`, token) error format. */
  function assertUnavailable(a: Answer, format: "oci" | "harbor", what: string, head = false): void {
    assert.equal(a.status, 503, `${what}: ${a.status} ${a.text}`);
    assert.ok(a.ms < BOUND_MS, `${what} answered after ${Math.round(a.ms)} ms`);
    assert.match(a.headers.get("retry-after") ?? "", /^\d+$/, `${what}: Retry-After`);
    if (head) return;
    const body = JSON.parse(a.text) as { errors: { code: string; message: string }[] };
    assert.equal(body.errors[0]?.code, format === "oci" ? "UNAVAILABLE" : "SERVICE_UNAVAILABLE", `${what}: ${a.text}`);
    assert.equal(typeof body.errors[0]?.message, "string");
  }

  /** A request whose body is fed by `feed` (chunked), answered after the last byte. */
  function stream(method: string, path: string, headers: Record<string, string>, feed: (write: (b: Buffer) => Promise<void>) => Promise<void>): Promise<Answer & { sentAt: number }> {
    return new Promise((resolve, reject) => {
      const req = request(`${stack.baseUrl}${path}`, { method, headers });
      let sentAt = 0;
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const headersOut = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === "string") headersOut.set(k, v);
          resolve({ status: res.statusCode ?? 0, headers: headersOut, text: Buffer.concat(chunks).toString("utf8"), ms: performance.now() - sentAt, sentAt });
        });
      });
      req.on("error", reject);
      const write = (b: Buffer) => new Promise<void>((res, rej) => req.write(b, (err) => (err ? rej(err) : res())));
      feed(write).then(
        () => {
          sentAt = performance.now();
          req.end();
        },
        (err: Error) => req.destroy(err),
      );
    });
  }

  const blobFile = (digest: string) => join(stack.dataDir, "registry", "blobs", "sha256", digest.slice(7, 9), digest.slice(7), "data");
  const healthOf = async () => {
    const a = await http("GET", "/api/v2.0/health");
    const body = JSON.parse(a.text) as { status: string; components: { name: string; status: string }[] };
    return { ...a, report: Object.fromEntries(body.components.map((c) => [c.name, c.status])) as Record<string, string> };
  };
  const pushImage = async (tag: string) => {
    const dir = join(work, `img-${tag}`);
    const image = ociImageLayout(dir, tag);
    const started = performance.now();
    const result = await skopeo.copy(`oci:${dir}:${tag}`, `docker://${stack.registry}/${repo}:${tag}`, { destCreds: admin, preserveDigests: true });
    return { result, image, ms: performance.now() - started };
  };
  const pullImage = async (tag: string) => {
    const started = performance.now();
    const result = await skopeo.copy(`docker://${stack.registry}/${repo}:${tag}`, `oci:${join(work, `pulled-${tag}-${randomBytes(3).toString("hex")}`)}:${tag}`, { srcCreds: admin });
    return { result, ms: performance.now() - started };
  };
  /** Everything works again, nothing was restarted. */
  async function assertFullService(tag: string): Promise<void> {
    await eventually(async () => ((await healthOf()).status === 200 ? true : undefined), 60_000, () => `health stays unhealthy:\n${stack.tail()}`);
    const push = await pushImage(tag);
    assert.equal(push.result.code, 0, push.result.describe);
    const pull = await pullImage(tag);
    assert.equal(pull.result.code, 0, pull.result.describe);
    assert.equal((await api.request("GET", "/projects/library")).status, 200);
    for (const name of SERVICES) assert.equal(stack.pidOf(name), servicePids[name], `${name} was not restarted`);
  }

  before(async () => {
    stack = await startTestStack("faults");
    api = new CoreApi(stack.baseUrl, "admin", stack.adminPassword);
    skopeo = new Skopeo();
    admin = `admin:${stack.adminPassword}`;
    servicePids = Object.fromEntries(SERVICES.map((s) => [s, stack.pidOf(s)]));
    const first = await pushImage("v1");
    assert.equal(first.result.code, 0, first.result.describe);
    v1 = first.image;
  });

  after(async () => {
    resume();
    skopeo?.cleanup();
    await stack?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("PostgreSQL stalled (every process): pulls, pushes, tokens and API calls answer 503 + Retry-After within seconds; an upload in flight leaves no partial blob", async () => {
    token = await api.token([`repository:${repo}:pull,push`]);
    const content = randomBytes(24 * MiB);
    const digest = sha256(content);
    const first = 8 * MiB;
    const start = await http("POST", `/v2/${repo}/blobs/uploads/`, bearer());
    assert.equal(start.status, 202, start.text);
    const location = new URL(start.headers.get("location")!, stack.baseUrl).pathname;
    const chunk1 = await http("PATCH", location, { ...bearer(), "content-type": "application/octet-stream" }, content.subarray(0, first));
    assert.equal(chunk1.status, 202, chunk1.text);

    try {
      // The second chunk streams slowly; PostgreSQL stalls in the middle of it.
      const inFlight = stream("PATCH", location, { ...bearer(), "content-type": "application/octet-stream" }, async (write) => {
        for (let at = first, n = 0; at < content.length; at += MiB, n++) {
          await write(content.subarray(at, at + MiB));
          await new Promise((r) => setTimeout(r, 30));
          if (n === 4) stallPostgres();
        }
      });
      const patched = await inFlight;
      assertUnavailable(patched, "oci", "the PATCH in flight");

      const [pull, head, push, put, tokenAnswer, apiAnswer, apiAnonymous, readyz] = await Promise.all([
        http("GET", `/v2/${repo}/manifests/v1`, { ...bearer(), accept: "application/vnd.oci.image.manifest.v1+json" }),
        http("HEAD", `/v2/${repo}/blobs/${digest}`, bearer()),
        http("POST", `/v2/${repo}/blobs/uploads/`, bearer()),
        http("PUT", `/v2/${repo}/manifests/v2`, { ...bearer(), "content-type": v1.manifest.mediaType }, v1.manifest.data),
        http("GET", `/service/token?service=berth-registry&scope=repository:${repo}:pull`, basicAuth("admin", stack.adminPassword)),
        http("GET", "/api/v2.0/users/current", basicAuth("admin", stack.adminPassword)),
        http("GET", "/api/v2.0/projects"),
        fetch(`http://127.0.0.1:${stack.running.ports.registry}/readyz`, { signal: AbortSignal.timeout(60_000) }).then(async (r) => ({ status: r.status, body: await r.text() })),
      ]);
      assertUnavailable(pull, "oci", "manifest GET (pull)");
      assertUnavailable(head, "oci", "blob HEAD", true);
      assertUnavailable(push, "oci", "upload POST (push)");
      assertUnavailable(put, "oci", "manifest PUT (push)");
      assertUnavailable(tokenAnswer, "harbor", "token request");
      assertUnavailable(apiAnswer, "harbor", "API call with Basic auth");
      assertUnavailable(apiAnonymous, "harbor", "anonymous API call");
      assert.equal(readyz.status, 503, `registry /readyz: ${readyz.body}`);
      assert.match(readyz.body, /"name":"database","status":"unhealthy"/);

      const health = await healthOf();
      assert.equal(health.status, 503);
      assert.ok(health.ms < BOUND_MS, `health answered after ${Math.round(health.ms)} ms`);
      assert.equal(health.report["database"], "unhealthy");
      assert.equal(health.report["redis"], "healthy");

      // A real client: its login (token request) is refused quickly instead of hanging.
      const skopeoPush = await pushImage("during-stall");
      assert.notEqual(skopeoPush.result.code, 0, skopeoPush.result.describe);
      assert.ok(skopeoPush.ms < BOUND_MS * 2, `skopeo gave up after ${Math.round(skopeoPush.ms)} ms`);
      assert.match(skopeoPush.result.stderr, /503|unavailable/i, skopeoPush.result.describe);
      const skopeoPull = await pullImage("v1");
      assert.notEqual(skopeoPull.result.code, 0, skopeoPull.result.describe);
      assert.ok(skopeoPull.ms < BOUND_MS * 2, `skopeo gave up after ${Math.round(skopeoPull.ms)} ms`);
    } finally {
      resume();
    }

    // Nothing half-written: the interrupted blob is nowhere to be seen.
    assert.equal(existsSync(blobFile(digest)), false, "no content at the blob's path");
    assert.equal(stack.psql(`SELECT count(*) FROM blobs WHERE digest = '${digest}'`), "0");
    assert.equal(stack.psql("SELECT count(*) FROM tags WHERE name = 'v2'"), "0", "the refused manifest PUT tagged nothing");
    assert.equal((await http("HEAD", `/v2/${repo}/blobs/${digest}`, bearer())).status, 404);

    // The client resumes the upload where the registry says it stands, and completes it.
    const status = await http("GET", location, bearer());
    assert.equal(status.status, 204, status.text);
    const offset = Number(/^0-(\d+)$/.exec(status.headers.get("range") ?? "")?.[1] ?? -1) + 1;
    assert.ok(offset >= first && offset <= content.length, `resumable at a sane offset: ${status.headers.get("range")}`);
    if (offset < content.length) {
      const rest = await http("PATCH", location, { ...bearer(), "content-type": "application/octet-stream", "content-range": `${offset}-${content.length - 1}` }, content.subarray(offset));
      assert.equal(rest.status, 202, rest.text);
    }
    const close = await http("PUT", `${location}?digest=${digest}`, { ...bearer(), "content-length": "0" });
    assert.equal(close.status, 201, close.text);
    assert.equal(sha256(Buffer.from(await (await fetch(`${stack.baseUrl}/v2/${repo}/blobs/${digest}`, { headers: bearer() })).arrayBuffer())), digest);

    await assertFullService("after-stall");
  });

  it("only the postmaster stalled: requests that need a new connection answer 503 within seconds, not 500 after 10 s", async () => {
    token = await api.token([`repository:${repo}:pull,push`]);
    const postmaster = stack.pidOf("postgres")!;
    // As the pools' idle timeout would: the services' idle connections are gone, so requests need
    // new ones — which only the (stalled) postmaster can give.
    stack.psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name IN ('registry', 'core') AND state = 'idle'");
    stop([postmaster]);
    try {
      const [pull, push, tokenAnswer, apiAnswer] = await Promise.all([
        http("GET", `/v2/${repo}/manifests/v1`, { ...bearer(), accept: "application/vnd.oci.image.manifest.v1+json" }),
        http("POST", `/v2/${repo}/blobs/uploads/?digest=${sha256("x")}`, { ...bearer(), "content-type": "application/octet-stream" }, Buffer.from("x")),
        http("GET", `/service/token?service=berth-registry&scope=repository:${repo}:pull`, basicAuth("admin", stack.adminPassword)),
        http("GET", "/api/v2.0/users/current", basicAuth("admin", stack.adminPassword)),
      ]);
      assertUnavailable(pull, "oci", "manifest GET (pull)");
      assertUnavailable(push, "oci", "monolithic blob upload (push)");
      assertUnavailable(tokenAnswer, "harbor", "token request");
      assertUnavailable(apiAnswer, "harbor", "API call");
    } finally {
      resume();
    }
    assert.equal(stack.psql(`SELECT count(*) FROM blobs WHERE digest = '${sha256("x")}'`), "0", "the refused upload left no blob row");
    await assertFullService("after-postmaster-stall");
  });

  it("Redis stalled: logins, pushes and pulls keep working (rate limiting fails open, logged once); health says redis is unhealthy", async () => {
    const redis = stack.pidOf("redis");
    assert.ok(redis, "pids.json names redis");
    stop([redis]);
    try {
      for (let i = 0; i < 5; i++) {
        const issued = await http("GET", `/service/token?service=berth-registry&scope=repository:${repo}:pull`, basicAuth("admin", stack.adminPassword));
        assert.equal(issued.status, 200, issued.text);
        assert.ok(issued.ms < BOUND_MS, `token request answered after ${Math.round(issued.ms)} ms`);
        const me = await http("GET", "/api/v2.0/users/current", basicAuth("admin", stack.adminPassword));
        assert.equal(me.status, 200, me.text);
        assert.ok(me.ms < BOUND_MS, `API call answered after ${Math.round(me.ms)} ms`);
      }
      // The logs say so — once (a minute), not once per login.
      const failOpen = await eventually(
        async () => {
          const logs = await http("GET", `/api/v2.0/system/logs?service=core&level=warn&q=${encodeURIComponent("failing open")}&limit=50`, basicAuth("admin", stack.adminPassword));
          const entries = JSON.parse(logs.text) as { message: string }[];
          return logs.status === 200 && entries.length > 0 ? entries : undefined;
        },
        30_000,
        () => `no fail-open warning in core's logs:\n${stack.tail()}`,
      );
      assert.equal(failOpen.length, 1, JSON.stringify(failOpen));
      assert.match(failOpen[0]!.message, /login rate limiting is off: redis is unavailable \(failing open\)/);

      const push = await pushImage("redis-stalled");
      assert.equal(push.result.code, 0, push.result.describe);
      const pull = await pullImage("redis-stalled");
      assert.equal(pull.result.code, 0, pull.result.describe);

      const health = await healthOf();
      assert.equal(health.status, 503);
      assert.ok(health.ms < BOUND_MS, `health answered after ${Math.round(health.ms)} ms`);
      assert.equal(health.report["redis"], "unhealthy");
      assert.equal(health.report["database"], "healthy");
    } finally {
      resume();
    }
    await assertFullService("after-redis-stall");
  });
});
