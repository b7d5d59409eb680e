// docker-compose.yml as operators run it: every image built from debian:bookworm-slim (made here
// with debootstrap), `docker-compose up -d` with an .env made from .env.example, then through the
// proxy container: docker login/push/pull, a multi-arch image with skopeo, podman, a webhook,
// every service's logs through the API; restart, down + up and down -v. Everything the test makes
// on the engine is removed, also on failure (the engine and its folders too).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeOptionsOf } from "@berth/config";
import { defaultVersion, IMAGES, imageTag } from "@berth/deploy-docker";
import { CoreApi } from "./support/api.js";
import { ADMIN_PASSWORD, ComposeProject, composeEngine } from "./support/compose.js";
import type { Dockerd } from "./support/docker.js";
import { cleanUpAll } from "./support/exec.js";
import { eventually } from "./support/http.js";
import { makeImage, makeIndex, writeOciLayout } from "./support/images.js";
import { repoRoot } from "./support/launcher.js";
import { ContainersHome, Podman } from "./support/podman.js";
import { Skopeo } from "./support/skopeo.js";

const SERVICES = ["log-collector", "prepare", "postgres", "redis", "core", "registry", "jobservice", "scanner-adapter", "proxy"];
/** Programs whose lines must reach the log-collector: Berth's own, nginx's, and the bundled servers'. */
const LOGGING = ["log-collector", "prepare", "core", "registry", "jobservice", "scanner-adapter", "proxy", "postgres", "redis"];

describe("docker-compose.yml on a real Docker engine", { timeout: 45 * 60_000 }, () => {
  let dockerd: Dockerd | undefined;
  let project: ComposeProject | undefined;
  let api: CoreApi;
  let skopeo: Skopeo;
  let home: ContainersHome;
  let podman: Podman;
  let receiver: Server | undefined;
  const hooks: { type: string; repo: string; tag: string }[] = [];
  const work = mkdtempSync(join(tmpdir(), "berth-e2e-compose-work-"));
  const version = defaultVersion(repoRoot);
  let password = ADMIN_PASSWORD;

  before(async () => {
    const engine = await composeEngine((line) => console.log(`[images] ${line}`));
    dockerd = engine.dockerd;
    if (engine.built) console.log(`[images] built in ${engine.built.seconds} s: ${JSON.stringify(engine.built.sizes)}`);
    project = await ComposeProject.create(dockerd, "main");
    const started = Date.now();
    await project.composeOk(["up", "-d"]);
    await project.waitHealthy();
    console.log(`[compose] up and healthy in ${Math.round((Date.now() - started) / 1000)} s`);
    api = new CoreApi(project.baseUrl, "admin", password);
    skopeo = new Skopeo();
    home = new ContainersHome();
    podman = new Podman(home);
  });

  after(() =>
    cleanUpAll(
      () => {
        receiver?.closeAllConnections();
        return new Promise((r) => (receiver ? receiver.close(r) : r(undefined)));
      },
      () => skopeo?.cleanup(),
      () => home?.cleanup(),
      () => project?.destroy(),
      () => dockerd?.stop(),
      () => rmSync(work, { recursive: true, force: true }),
    ),
  );

  const creds = () => `admin:${password}`;

  it("every service runs from its berth/ image and is healthy; only the proxy publishes ports for clients", async () => {
    const health = await api.request("GET", "/health");
    assert.equal(health.status, 200, health.text);
    const report = health.body as { status: string; components: { name: string; status: string }[] };
    assert.equal(report.status, "healthy");
    assert.deepEqual(report.components.map((c) => c.name).sort(), ["core", "database", "jobservice", "log-collector", "redis", "registry", "scanner-adapter"]);

    for (const service of SERVICES) {
      const [id, ...more] = await project!.containers(service);
      assert.ok(id && more.length === 0, `one container of ${service}`);
      const info = JSON.parse((await dockerd!.docker(["inspect", id])).stdout)[0] as {
        Config: { Image: string; User: string; Env: string[]; Cmd: string[] | null; Labels: Record<string, string>; Healthcheck?: { Test: string[] } };
        State: { Status: string; ExitCode: number };
        HostConfig: { PortBindings: Record<string, { HostIp: string; HostPort: string }[]> | null };
      };
      assert.equal(info.Config.Image, imageTag(service, version));
      assert.ok(info.Config.User !== "" && !/^(root|0)(:|$)/.test(info.Config.User), `${service} runs as a non-root user (${info.Config.User})`);
      assert.equal(info.Config.Labels["org.opencontainers.image.version"], version, `${service}: version label`);
      assert.ok(info.Config.Labels["org.opencontainers.image.source"], `${service}: source label`);
      // The program's own Node flags (its package.json's berth.nodeOptions) are on its command line.
      const declared = nodeOptionsOf(join(repoRoot, "services", service, "package.json"));
      if (service !== "proxy" && service !== "postgres" && service !== "redis") assert.deepEqual(info.Config.Cmd, [...declared, "dist/main.js"], `${service}: command`);
      if (service === "prepare") assert.deepEqual([info.State.Status, info.State.ExitCode], ["exited", 0]);
      else assert.ok(info.Config.Healthcheck?.Test.length, `${service} has a health check`);
      const published = Object.entries(info.HostConfig.PortBindings ?? {}).flatMap(([port, binds]) => binds.map((b) => `${b.HostIp}:${b.HostPort}->${port}`));
      const expected =
        service === "proxy"
          ? [`127.0.0.1:${project!.httpPort}->8080/tcp`, `127.0.0.1:${project!.httpsPort}->8443/tcp`]
          : service === "log-collector"
            ? [`127.0.0.1:${project!.syslogPort}->1514/udp`]
            : [];
      assert.deepEqual(published.sort(), expected.sort(), `${service} publishes ${JSON.stringify(expected)}`);
    }
    // Every image is built from debian:bookworm-slim: its first layer is the base's.
    const base = JSON.parse((await dockerd!.docker(["image", "inspect", "debian:bookworm-slim"])).stdout)[0].RootFS.Layers[0] as string;
    for (const image of IMAGES) {
      const layers = JSON.parse((await dockerd!.docker(["image", "inspect", imageTag(image.name, version)])).stdout)[0].RootFS.Layers as string[];
      assert.equal(layers[0], base, `${image.name} is built on debian:bookworm-slim`);
    }
  });

  it("registry endpoints' credentials are sealed with the data key prepare created (core seals; jobservice and the registry open)", async () => {
    const created = await api.request("POST", "/registries", { name: "elsewhere", type: "docker-registry", url: "http://127.0.0.1:9", credential: { type: "basic", access_key: "u", access_secret: "compose-secret" } });
    assert.equal(created.status, 201, created.text);
    const view = await api.ok("GET", "/registries?page_size=100");
    assert.ok(!view.text.includes("compose-secret"), "the secret is never returned");
    const [core] = await project!.containers("core");
    const key = await dockerd!.docker(["exec", core!, "stat", "-c", "%s %a", "/data/secrets/data-key"]);
    assert.equal(key.stdout.trim(), "32 600", "a 32-byte key, mode 0600");
    // A proxy cache project of that endpoint: the registry container opens the sealed credentials
    // to build its upstream client; the upstream is unreachable, so a pull is a miss that says so.
    const registryId = Number(created.headers.get("location")!.split("/").pop());
    await api.ok("POST", "/projects", { project_name: "elsewhere-cache", registry_id: registryId });
    const token = await api.token(["repository:elsewhere-cache/library/app:pull"]);
    const miss = await fetch(`${project!.baseUrl}/v2/elsewhere-cache/library/app/manifests/1`, { headers: { authorization: `Bearer ${token}` } });
    const body = await miss.text();
    assert.equal(miss.status, 404, body);
    assert.match(body, /is not in the proxy cache, and its upstream registry elsewhere failed/);
  });

  it("a webhook policy's receiver gets the push events", async () => {
    const gateway = await project!.gateway();
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { type: string; event_data: { repository: { repo_full_name: string }; resources: { tag: string }[] } };
        hooks.push({ type: body.type, repo: body.event_data.repository.repo_full_name, tag: body.event_data.resources[0]?.tag ?? "" });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver!.listen(0, gateway, resolve));
    const port = (receiver.address() as { port: number }).port;
    await api.ok("POST", "/projects/library/webhook/policies", {
      name: "compose-e2e",
      enabled: true,
      event_types: ["PUSH_ARTIFACT"],
      targets: [{ type: "http", address: `http://${gateway}:${port}/hook`, payload_format: "Default" }],
    });
  });

  it("docker logs in, pushes and pulls a multi-layer image through the proxy container", async () => {
    const registry = project!.registry;
    const login = await dockerd!.login(registry, "admin", password);
    assert.equal(login.code, 0, login.describe);
    // Berth's own redis image: several real layers.
    const ref = `${registry}/library/redis:compose`;
    assert.equal((await dockerd!.docker(["tag", imageTag("redis", version), ref])).code, 0);
    const push = await dockerd!.docker(["push", ref], undefined, 600_000);
    assert.equal(push.code, 0, push.describe);
    const pushed = /digest: (sha256:[0-9a-f]{64})/.exec(push.stdout)?.[1];
    assert.ok(pushed, push.describe);
    assert.equal((await dockerd!.docker(["rmi", ref])).code, 0);
    const pull = await dockerd!.docker(["pull", ref], undefined, 600_000);
    assert.equal(pull.code, 0, pull.describe);
    assert.match(pull.stdout, new RegExp(`Digest: ${pushed}`));
    await eventually(async () => (hooks.some((h) => h.repo === "library/redis" && h.tag === "compose") ? true : undefined), 60_000, () => `no webhook for library/redis:compose: ${JSON.stringify(hooks)}`);
  });

  it("the scanner adapter scans a pushed image: the scan job signs its credential and pulls through the proxy", async () => {
    await api.ok("POST", "/projects/library/repositories/redis/artifacts/compose/scan", {});
    const overview = await eventually(
      async () => {
        const a = (await api.ok("GET", "/projects/library/repositories/redis/artifacts/compose?with_scan_overview=true")).body as { scan_overview?: Record<string, { scan_status: string }> };
        const status = a.scan_overview?.["application/vnd.security.vulnerability.report; version=1.1"]?.scan_status;
        return status === "Success" || status === "Error" ? a.scan_overview : undefined;
      },
      180_000,
      () => "no finished scan",
    );
    assert.equal(overview["application/vnd.security.vulnerability.report; version=1.1"]!.scan_status, "Success", JSON.stringify(overview));
  });

  it("skopeo copies a multi-arch image in and out; podman pushes and pulls", async () => {
    const amd64 = makeImage("oci", { architecture: "amd64", layerCount: 2 });
    const arm64 = makeImage("oci", { architecture: "arm64", layerCount: 2 });
    const index = makeIndex("oci", [amd64, arm64]);
    const layout = join(work, "multi");
    writeOciLayout(layout, { v1: { top: index, images: [amd64, arm64] } });
    const dest = `docker://${project!.registry}/library/multiarch:v1`;
    const push = await skopeo.copy(`oci:${layout}:v1`, dest, { destCreds: creds(), all: true, preserveDigests: true });
    assert.equal(push.code, 0, push.describe);
    const served = await skopeo.inspectRaw(dest, creds());
    assert.equal(served.digest, index.digest, "the index is served byte for byte");
    const back = await skopeo.copy(dest, `oci:${join(work, "multi-back")}:v1`, { srcCreds: creds(), all: true, preserveDigests: true });
    assert.equal(back.code, 0, back.describe);

    const login = await podman.login(project!.registry, "admin", password);
    assert.equal(login.code, 0, login.describe);
    const pulled = await podman.pull(`${project!.registry}/library/redis:compose`);
    assert.equal(pulled.code, 0, pulled.describe);
    const pushed = await podman.push(`${project!.registry}/library/redis:compose`, `${project!.registry}/library/redis-podman:1`);
    assert.equal(pushed.code, 0, pushed.describe);
    const inspect = await skopeo.inspect(`docker://${project!.registry}/library/redis-podman:1`, creds());
    assert.equal(inspect.code, 0, inspect.describe);
    await eventually(async () => (hooks.some((h) => h.repo === "library/multiarch") && hooks.some((h) => h.repo === "library/redis-podman") ? true : undefined), 60_000, () => `webhooks: ${JSON.stringify(hooks)}`);
  });

  it("the log API shows every service's lines, nginx's and the bundled servers' included", async () => {
    for (const service of LOGGING) {
      await eventually(
        async () => {
          const r = await api.request("GET", `/system/logs?service=${service}&limit=5`);
          return r.status === 200 && (r.body as unknown[]).length > 0 ? true : undefined;
        },
        60_000,
        () => `no log lines of ${service}`,
      );
    }
    const proxy = await api.ok("GET", "/system/logs?service=proxy&q=redis-podman&limit=50");
    assert.ok((proxy.body as { message: string }[]).some((e) => /PUT \/v2\/library\/redis-podman\/manifests\/1 201/.test(e.message)), "nginx's access line of the podman push");
    const postgres = await api.ok("GET", "/system/logs?service=postgres&limit=200");
    assert.ok((postgres.body as { message: string }[]).some((e) => /database system is ready to accept connections/.test(e.message)), "PostgreSQL's start-up line");
  });

  it("a recreated log-collector, at a new address, still gets nginx's lines (the proxy reloads nginx)", async () => {
    const networkOf = async () => {
      const [id] = await project!.containers("log-collector", false);
      const [network, settings] = Object.entries((await project!.inspect(id!)).NetworkSettings.Networks)[0]!;
      return { network, address: settings.IPAddress };
    };
    const { network, address: before } = await networkOf();
    // Docker hands a freed address to the next container: a stand-in takes the collector's while
    // it is recreated, as any container started meanwhile would.
    await project!.composeOk(["stop", "log-collector"]);
    const standIn = `${project!.name}-stand-in`;
    try {
      const started = await dockerd!.docker(["run", "-d", "--rm", "--name", standIn, "--network", network, "--entrypoint", "sleep", "debian:bookworm-slim", "600"]);
      assert.equal(started.code, 0, started.describe);
      await project!.composeOk(["up", "-d", "--no-deps", "--force-recreate", "log-collector"]);
      await project!.waitHealthy();
    } finally {
      await dockerd!.docker(["rm", "-f", standIn]);
    }
    const now = (await networkOf()).address;
    assert.notEqual(now, before, "the new container has another address (what this is about)");
    // Lines sent before nginx noticed are lost (UDP): each attempt sends a new request.
    let n = 0;
    await eventually(
      async () => {
        const marker = `after-recreate-${++n}`;
        await fetch(`${project!.baseUrl}/?${marker}`).then((r) => r.arrayBuffer());
        await new Promise((r) => setTimeout(r, 1_000));
        const r = await api.request("GET", `/system/logs?service=proxy&q=${marker}&limit=5`);
        return r.status === 200 && (r.body as unknown[]).length > 0 ? true : undefined;
      },
      60_000,
      () => `no nginx line reached the recreated collector (${n} requests)`,
    );
    const reloaded = await project!.compose(["logs", "--no-color", "proxy"]);
    assert.match(reloaded.stdout, new RegExp(`log-collector is now at ${now.replace(/\./g, "\\.")} \\(was ${before.replace(/\./g, "\\.")}\\); reloading nginx`));
  });

  /** The admin password changed through the API survives (the .env one would not log in). */
  async function assertDataKept(what: string): Promise<void> {
    await project!.waitHealthy();
    const me = await new CoreApi(project!.baseUrl, "admin", password).request("GET", "/users/current");
    assert.equal(me.status, 200, `${what}: the changed admin password still logs in: ${me.text}`);
    const old = await new CoreApi(project!.baseUrl, "admin", ADMIN_PASSWORD).request("GET", "/users/current");
    assert.equal(old.status, 401, `${what}: the first password no longer does`);
    const served = await skopeo.inspectRaw(`docker://${project!.registry}/library/multiarch:v1`, creds());
    assert.equal(served.result.code, 0, `${what}: ${served.result.describe}`);
    const layers = await skopeo.copy(`docker://${project!.registry}/library/redis:compose`, `oci:${join(work, `again-${what.replace(/\W/g, "")}`)}:x`, { srcCreds: creds() });
    assert.equal(layers.code, 0, `${what}: every blob still pulls: ${layers.describe}`);
  }

  it("docker-compose restart keeps the data and the admin password", async () => {
    const changed = "Changed-Admin-Passw0rd";
    const r = await api.request("PUT", "/users/1/password", { old_password: password, new_password: changed });
    assert.equal(r.status, 200, r.text);
    password = changed;
    await project!.composeOk(["restart"]);
    await assertDataKept("after restart");
  });

  it("down and up keep the data; down -v removes every container, network and volume", async () => {
    await project!.composeOk(["down"]);
    assert.deepEqual(await project!.containers(), [], "down removes the containers");
    await project!.composeOk(["up", "-d"]);
    await assertDataKept("after down and up");

    await project!.composeOk(["down", "-v"]);
    assert.deepEqual(await project!.containers(), []);
    const volumes = await dockerd!.docker(["volume", "ls", "-q", "--filter", `label=com.docker.compose.project=${project!.name}`]);
    assert.equal(volumes.stdout.trim(), "", "down -v removes the volumes");
    const networks = await dockerd!.docker(["network", "ls", "-q", "--filter", `label=com.docker.compose.project=${project!.name}`]);
    assert.equal(networks.stdout.trim(), "", "and the network");
  });
});
