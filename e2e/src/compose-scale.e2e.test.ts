// Scale-out with docker-compose.yml: `up --scale registry=3 --scale jobservice=2`. nginx resolves
// the service names at request time, so it balances over the replicas and notices replicas that
// leave and join; a chunked upload whose PATCHes land on different replicas completes; a replica
// killed while a PATCH to it is in flight costs the client one retry; two jobservice replicas
// deliver each webhook once and run one garbage collection.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, request, type Server } from "node:http";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreApi } from "./support/api.js";
import { ADMIN_PASSWORD, ComposeProject, composeEngine } from "./support/compose.js";
import type { Dockerd } from "./support/docker.js";
import { cleanUpAll } from "./support/exec.js";
import { eventually } from "./support/http.js";
import { makeImage, sha256, writeOciLayout } from "./support/images.js";
import { Skopeo } from "./support/skopeo.js";

const KiB = 1024;
const MiB = 1024 * KiB;
const REPO = "library/scaled";

describe("docker-compose.yml scaled out: three registries, two jobservices", { timeout: 30 * 60_000 }, () => {
  let dockerd: Dockerd | undefined;
  let project: ComposeProject | undefined;
  let api: CoreApi;
  let token: string;
  const work = mkdtempSync(join(tmpdir(), "berth-e2e-scale-"));

  before(async () => {
    dockerd = (await composeEngine((line) => console.log(`[images] ${line}`))).dockerd;
    project = await ComposeProject.create(dockerd, "scale");
    await project.composeOk(["up", "-d", "--scale", "registry=3", "--scale", "jobservice=2"]);
    await project.waitHealthy();
    api = new CoreApi(project.baseUrl, "admin", ADMIN_PASSWORD);
    token = await api.token([`repository:${REPO}:pull,push`]);
  });

  after(() =>
    cleanUpAll(
      () => project?.destroy(),
      () => dockerd?.stop(),
      () => rmSync(work, { recursive: true, force: true }),
    ),
  );

  const auth = () => ({ authorization: `Bearer ${token}` });
  async function http(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer) {
    const res = await fetch(`${project!.baseUrl}${path}`, { method, headers: { ...auth(), ...headers }, ...(body ? { body } : {}), signal: AbortSignal.timeout(60_000) });
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  }
  const pathOf = (location: string) => (location.startsWith("http") ? new URL(location).pathname : location);
  const rangeEnd = (range: string | null) => Number(/^0-(\d+)$/.exec(range ?? "")?.[1] ?? -1);

  /** The registry replicas' addresses on the compose network, by container id. */
  async function registryAddresses(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const id of await project!.containers("registry", false)) {
      const info = await project!.inspect(id);
      out.set(id, Object.values(info.NetworkSettings.Networks)[0]!.IPAddress);
    }
    return out;
  }

  /** The upstreams nginx sent requests matching `q` to (its access lines, through the log API). */
  async function upstreamsOf(q: string, method: string): Promise<string[]> {
    const r = await api.ok("GET", `/system/logs?service=proxy&q=${encodeURIComponent(q)}&limit=500`);
    return (r.body as { method?: string; upstream?: string }[]).filter((e) => e.method === method && e.upstream).map((e) => e.upstream!.split(",").pop()!.trim());
  }

  it("nginx balances over the three registries; a chunked upload whose PATCHes land on different ones completes", async () => {
    assert.equal((await project!.containers("registry", false)).length, 3);
    assert.equal((await project!.containers("jobservice", false)).length, 2);
    // Twelve PATCHes: nginx starts each request at a random one of the resolved addresses, so
    // six landed on one replica of three in about one run of 240 (seen once); twelve, one in 177,000.
    const content = randomBytes(12 * 256 * KiB);
    const start = await http("POST", `/v2/${REPO}/blobs/uploads/`);
    assert.equal(start.status, 202);
    const path = pathOf(start.headers.get("location")!);
    for (let at = 0; at < content.length; at += 256 * KiB) {
      const chunk = content.subarray(at, at + 256 * KiB);
      const r = await http("PATCH", path, { "content-type": "application/octet-stream", "content-range": `${at}-${at + chunk.length - 1}` }, chunk);
      assert.equal(r.status, 202, r.body.toString());
      assert.equal(rangeEnd(r.headers.get("range")), at + chunk.length - 1);
    }
    const digest = sha256(content);
    const put = await http("PUT", `${path}?digest=${digest}`, { "content-length": "0" });
    assert.equal(put.status, 201, put.body.toString());
    assert.equal(sha256((await http("GET", `/v2/${REPO}/blobs/${digest}`)).body), digest);

    const uuid = path.split("/").pop()!;
    const upstreams = await eventually(async () => {
      const seen = await upstreamsOf(uuid, "PATCH");
      return seen.length === 12 ? seen : undefined;
    }, 30_000, () => `nginx's access lines of the twelve PATCHes of ${uuid}`);
    const replicas = new Set((await registryAddresses()).values());
    for (const u of upstreams) assert.ok(replicas.has(u.split(":")[0]!), `${u} is a registry replica`);
    assert.ok(new Set(upstreams).size >= 2, `the PATCHes went to more than one replica: ${upstreams.join(", ")}`);
  });

  it("a replica killed while a PATCH to it is in flight costs the client one retry", async () => {
    const content = randomBytes(16 * MiB);
    const digest = sha256(content);
    const start = await http("POST", `/v2/${REPO}/blobs/uploads/`);
    const path = pathOf(start.headers.get("location")!);
    const first = await http("PATCH", path, { "content-type": "application/octet-stream", "content-range": `0-${MiB - 1}` }, content.subarray(0, MiB));
    assert.equal(first.status, 202);

    const addresses = await registryAddresses();
    let killed: string | undefined;
    let looked = "";
    let streaming = true;
    // The rest streams slowly (about 6 s); the replica receiving it is found and killed meanwhile.
    const sent = new Promise<{ status?: number; error?: Error; body?: string }>((resolve) => {
      const req = request(`${project!.baseUrl}${path}`, { method: "PATCH", headers: { ...auth(), "content-type": "application/octet-stream" } });
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
        res.on("error", (error) => resolve({ status: res.statusCode, error }));
      });
      req.on("error", (error) => resolve({ error }));
      void (async () => {
        for (let at = MiB; at < content.length && !req.destroyed; at += 512 * KiB) {
          await new Promise<void>((r) => req.write(content.subarray(at, at + 512 * KiB), () => r()));
          await new Promise((r) => setTimeout(r, 200));
        }
        req.end();
      })();
    }).finally(() => (streaming = false));
    const deadline = Date.now() + 20_000;
    while (streaming && !killed && Date.now() < deadline) {
      const found = await receiverOf(addresses);
      looked = found.looked;
      if (found.id) {
        await crash(found.id);
        killed = found.id;
      } else await new Promise((r) => setTimeout(r, 200));
    }
    const inFlight = await sent;
    assert.ok(killed, `found and killed the replica receiving the PATCH (it answered ${inFlight.status} ${inFlight.body ?? ""}; /proc/net/tcp: ${looked})`);
    assert.ok(inFlight.error !== undefined || (inFlight.status ?? 0) >= 500, `the interrupted PATCH failed (${inFlight.status})`);

    // The one retry: ask where the session stands, send the rest from there, close it.
    const status = await http("GET", path);
    assert.equal(status.status, 204, status.body.toString());
    const offset = rangeEnd(status.headers.get("range")) + 1;
    assert.ok(offset >= MiB && offset <= content.length, `resumable at a sane offset (${offset})`);
    const rest = await http("PATCH", path, { "content-type": "application/octet-stream", "content-range": `${offset}-${content.length - 1}` }, content.subarray(offset));
    assert.equal(rest.status, 202, `the retried PATCH is accepted at once: ${rest.body.toString()}`);
    const put = await http("PUT", `${path}?digest=${digest}`, { "content-length": "0" });
    assert.equal(put.status, 201, put.body.toString());
    assert.equal(sha256((await http("GET", `/v2/${REPO}/blobs/${digest}`)).body), digest);
    // Docker restarts the crashed replica (restart: unless-stopped).
    await eventually(async () => ((await project!.containers("registry", false)).length === 3 ? true : undefined), 120_000, () => "three registries again");
    await project!.waitHealthy();
  });

  /**
   * A crash, not a stop: SIGKILL of the Node process (tini's child) from this machine. (`docker
   * kill` would count as stopping it by hand, and the restart policy would leave it stopped.)
   */
  async function crash(id: string): Promise<void> {
    const init = Number((await dockerd!.docker(["inspect", "--format", "{{.State.Pid}}", id])).stdout.trim());
    const children = readFileSync(`/proc/${init}/task/${init}/children`, "utf8").trim().split(/\s+/).map(Number);
    assert.equal(children.length, 1, `tini (${init}) runs one program`);
    process.kill(children[0]!, "SIGKILL");
  }

  /** The registry replica with an established connection from nginx (the streaming PATCH), if any. */
  async function receiverOf(addresses: Map<string, string>): Promise<{ id?: string; looked: string }> {
    let looked = "";
    for (const id of addresses.keys()) {
      const tcp = await dockerd!.docker(["exec", id, "cat", "/proc/net/tcp"]);
      // local port 8080 (1F90), state 01 (ESTABLISHED), from anywhere but loopback (health checks)
      const lines = tcp.stdout.split("\n").filter((l) => /:1F90 /.test(l));
      looked += `\n${id.slice(0, 12)}: ${lines.join(" | ")}`;
      if (lines.some((l) => /^\s*\d+: [0-9A-F]{8}:1F90 (?!0100007F)[0-9A-F]{8}:[0-9A-F]{4} 01 /.test(l))) return { id, looked };
    }
    return { looked };
  }

  it("nginx notices replicas leaving and joining", async () => {
    await project!.composeOk(["up", "-d", "--no-recreate", "--scale", "registry=1", "--scale", "jobservice=2"]);
    for (let i = 0; i < 30; i++) {
      const r = await fetch(`${project!.baseUrl}/v2/`, { signal: AbortSignal.timeout(30_000) });
      await r.arrayBuffer();
      assert.equal(r.status, 401, `request ${i} after scaling down answered ${r.status}`);
    }
    await project!.composeOk(["up", "-d", "--no-recreate", "--scale", "registry=3", "--scale", "jobservice=2"]);
    await project!.waitHealthy();
    const marker = `joined-${Date.now()}`;
    await eventually(
      async () => {
        for (let i = 0; i < 10; i++) await (await fetch(`${project!.baseUrl}/v2/_catalog?${marker}`)).arrayBuffer();
        const seen = new Set(await upstreamsOf(marker, "GET"));
        return seen.size >= 3 ? true : undefined;
      },
      60_000,
      () => "requests reaching all three registries again",
    );
  });

  it("two jobservice replicas deliver each webhook once and run one garbage collection", async () => {
    const gateway = await project!.gateway();
    const received: string[] = [];
    const receiver: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { event_data: { resources: { tag: string }[] } };
        received.push(body.event_data.resources[0]!.tag);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, gateway, resolve));
    const skopeo = new Skopeo();
    try {
      const port = (receiver.address() as { port: number }).port;
      await api.ok("POST", "/projects/library/webhook/policies", {
        name: "scaled",
        enabled: true,
        event_types: ["PUSH_ARTIFACT"],
        targets: [{ type: "http", address: `http://${gateway}:${port}/hook`, payload_format: "Default" }],
      });
      const image = makeImage("oci", { layerCount: 1 });
      writeOciLayout(join(work, "hooked"), { t: { top: image.manifest, images: [image] } });
      const tags = ["a", "b", "c", "d"];
      for (const tag of tags) {
        const r = await skopeo.copy(`oci:${join(work, "hooked")}:t`, `docker://${project!.registry}/library/hooked:${tag}`, { destCreds: `admin:${ADMIN_PASSWORD}` });
        assert.equal(r.code, 0, r.describe);
      }
      await eventually(async () => (tags.every((t) => received.includes(t)) ? true : undefined), 60_000, () => `deliveries: ${received.join(",")}`);
      const gc = await api.request("POST", "/system/gc/schedule", { schedule: { type: "Manual" }, parameters: { delete_untagged: true, dry_run: false } });
      assert.equal(gc.status, 201, gc.text);
      const runs = await eventually(async () => {
        const list = (await api.ok("GET", "/system/gc")).body as { job_status: string }[];
        return list.length === 1 && ["Success", "Error"].includes(list[0]!.job_status) ? list : undefined;
      }, 120_000, () => "the garbage collection to finish");
      assert.equal(runs[0]!.job_status, "Success");
      // Time for any duplicate to arrive.
      await new Promise((r) => setTimeout(r, 10_000));
      assert.deepEqual([...received].sort(), tags, "each push delivered exactly once");
      assert.equal(((await api.ok("GET", "/system/gc")).body as unknown[]).length, 1, "one run");
    } finally {
      skopeo.cleanup();
      receiver.closeAllConnections();
      await new Promise((r) => receiver.close(r));
    }
  });
});
