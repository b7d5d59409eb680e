// Proxy cache end to end: a Berth proxy project in front of CNCF Distribution (Debian's
// docker-registry), real servers and real clients through the front door. docker and podman pull
// through it and the second pull is served locally (the upstream's access log shows no blob or
// manifest GET); 20 concurrent pulls of one uncached image fetch each blob once; a blob whose
// bytes were corrupted in Distribution's storage is refused and nothing is cached; behind an
// nginx answering 429, and with the upstream SIGSTOPped (hung) and then stopped, cached tags and
// digests still pull while a miss fails with a clear error. A multi-platform tag (an OCI index
// pushed to the upstream with `skopeo copy --all`) pulled with `podman pull --platform` is cached
// with the platform asked for, and both still pull once the upstream is stopped.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CoreApi } from "./support/api.js";
import { Distributions, type RunningRegistry } from "./support/distribution.js";
import { Dockerd } from "./support/docker.js";
import { eventually } from "./support/http.js";
import { makeImage, makeIndex, sha256, writeOciLayout, type Image } from "./support/images.js";
import { ContainersHome, Podman } from "./support/podman.js";
import { createEndpoint, pushImage, repoOn } from "./support/replication-fixtures.js";
import { Skopeo, tlsArgs } from "./support/skopeo.js";
import { startTestStack, type TestStack } from "./support/stack.js";

describe("proxy cache", { timeout: 8 * 60_000 }, () => {
  let stack: TestStack;
  let api: CoreApi;
  let dist: Distributions;
  let origin: RunningRegistry;
  let counted: { url: string; accessLog: string };
  let limited: { url: string; accessLog: string };
  let dockerd: Dockerd;
  const home = new ContainersHome();
  const podman = new Podman(home);
  const skopeo = new Skopeo();
  const images: Record<string, Image> = {};
  let admin: string;

  /** Pushes a fresh single-layer image to the origin as `library/<name>:1`. */
  async function upstreamImage(name: string, layerCount = 1): Promise<Image> {
    const image = makeImage("v2s2", { layerCount });
    await pushImage(await repoOn(origin.url, `library/${name}`), image, "1");
    images[name] = image;
    return image;
  }

  /** Whether `project/library/<name>:1` is cached (its tag row exists). */
  function cachedTag(project: string, name: string): string {
    return stack.psql(
      `SELECT m.digest FROM tags t JOIN repositories r ON r.id = t.repository_id JOIN manifests m ON m.id = t.manifest_id WHERE r.name = '${project}/library/${name}' AND t.name = '1'`,
    );
  }

  async function waitCached(project: string, name: string): Promise<void> {
    await eventually(async () => (cachedTag(project, name) === images[name]!.manifest.digest ? true : undefined), 60_000, () => `${project}/library/${name}:1 was not cached\n${stack.tail()}`);
  }

  /** Access log lines of `log` matching `pattern`. */
  function requests(log: string, pattern: RegExp): string[] {
    return readFileSync(log, "utf8").split("\n").filter((l) => pattern.test(l));
  }

  const ref = (project: string, name: string, reference = ":1") => `docker://${stack.registry}/${project}/library/${name}${reference}`;

  before(async () => {
    // Every pull of a tag asks the upstream (HEAD), so stale serving is exercised on each one; the
    // upstream gets 3 s before the cache answers without it.
    stack = await startTestStack("proxy", { env: { BERTH_PROXY_REVALIDATE_SECONDS: "0", BERTH_PROXY_UPSTREAM_TIMEOUT_SECONDS: "3" } });
    api = new CoreApi(stack.baseUrl, "admin", stack.adminPassword);
    admin = `admin:${stack.adminPassword}`;
    dist = new Distributions();
    origin = await dist.registry("origin");
    counted = await dist.rateLimitedFront("counted", origin.port, 10_000, 10_000, { accessLog: true });
    // 1 request a second with a burst of 60: enough for pulls, exhausted by a flood.
    limited = await dist.rateLimitedFront("limited", origin.port, 1, 60, { accessLog: true });
    dockerd = new Dockerd();
    await dockerd.start();
    const login = await podman.login(stack.registry, "admin", stack.adminPassword);
    assert.equal(login.code, 0, login.describe);
    for (const [name, url] of [["direct", origin.url], ["counted", counted.url], ["limited", limited.url]] as const) {
      // Credentials Distribution never asks for: the registry still opens them with the data key to build its client.
      const credential = name === "direct" ? { credential: { type: "basic", access_key: "puller", access_secret: "sealed-at-rest" } } : {};
      const id = await createEndpoint(api, { name, type: "docker-registry", url, ...credential });
      await api.ok("POST", "/projects", { project_name: `proxy-${name}`, registry_id: id, metadata: { public: "true" } });
    }
  });

  after(async () => {
    skopeo.cleanup();
    await home.cleanup();
    await Promise.all([stack?.stop(), dist?.stop(), dockerd?.stop()]);
  });

  it("a proxy project shows its registry_id; a missing endpoint is refused; an endpoint in use cannot be deleted", async () => {
    const project = (await api.ok("GET", "/projects/proxy-direct")).body as { registry_id?: number; name: string };
    const endpoints = (await api.ok("GET", "/registries?page_size=100")).body as { id: number; name: string }[];
    const direct = endpoints.find((e) => e.name === "direct")!;
    assert.equal(project.registry_id, direct.id);
    const missing = await api.request("POST", "/projects", { project_name: "proxy-nowhere", registry_id: 999_999 });
    assert.equal(missing.status, 400, missing.text);
    assert.match(missing.text, /registry_id 999999/);
    const del = await api.request("DELETE", `/registries/${direct.id}`);
    assert.equal(del.status, 412, del.text);
    assert.match(del.text, /proxy-direct/);
    const change = await api.request("PUT", "/projects/proxy-direct", { registry_id: null });
    assert.equal(change.status, 400, change.text);
  });

  it("docker pulls through the proxy; podman's second pull is served from the cache", async () => {
    const image = await upstreamImage("app", 2);
    const dockerRef = `${stack.registry}/proxy-counted/library/app:1`;
    const pulled = await dockerd.docker(["pull", dockerRef], undefined, 120_000);
    assert.equal(pulled.code, 0, pulled.describe);
    const inspect = await dockerd.docker(["image", "inspect", "--format", "{{json .RepoDigests}}", dockerRef]);
    assert.match(inspect.stdout, new RegExp(image.manifest.digest), inspect.describe);
    await waitCached("proxy-counted", "app");
    const blobGets = () => requests(counted.accessLog, /^GET \/v2\/library\/app\/blobs\//).length;
    const manifestGets = () => requests(counted.accessLog, /^GET \/v2\/library\/app\/manifests\//).length;
    const before = { blobs: blobGets(), manifests: manifestGets() };
    assert.equal(before.blobs, 3, "config and two layers were each fetched once");
    const second = await podman.pull(`${stack.registry}/proxy-counted/library/app:1`);
    assert.equal(second.code, 0, second.describe);
    assert.deepEqual({ blobs: blobGets(), manifests: manifestGets() }, before, "the second pull fetched nothing from the upstream (a HEAD revalidated the tag)");
    assert.ok(requests(counted.accessLog, /^HEAD \/v2\/library\/app\/manifests\/1 HTTP\/1\.1 200$/).length >= 2, "tags are revalidated with HEAD");
  });

  it("pushes and deletes are DENIED in a proxy project", async () => {
    const push = await skopeo.copy(ref("proxy-counted", "app"), ref("proxy-counted", "pushed"), { srcCreds: admin, destCreds: admin });
    assert.notEqual(push.code, 0, push.describe);
    assert.match(push.describe, /proxy cache/);
    const repo = await repoOn(stack.baseUrl, "proxy-counted/library/app", api);
    const del = await fetch(`${stack.baseUrl}/v2/proxy-counted/library/app/manifests/${images["app"]!.manifest.digest}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${await api.token(["repository:proxy-counted/library/app:delete"])}` },
    });
    const body = (await del.json()) as { errors: { code: string; message: string }[] };
    assert.equal(del.status, 403);
    assert.equal(body.errors[0]!.code, "DENIED");
    assert.match(body.errors[0]!.message, /proxy cache of registry counted/);
    assert.ok(await repo.getManifest(images["app"]!.manifest.digest), "still there");
  });

  it("20 concurrent pulls of one uncached image fetch each blob once from the upstream", async () => {
    const image = await upstreamImage("busy", 3);
    const pulls = await Promise.all(Array.from({ length: 20 }, (_, i) => skopeo.copy(ref("proxy-counted", "busy"), `dir:${join(skopeo.dir, `busy-${i}`)}`)));
    for (const p of pulls) assert.equal(p.code, 0, p.describe);
    for (const digest of [image.config.digest, ...image.layers.map((l) => l.blob.digest)]) {
      assert.equal(requests(counted.accessLog, new RegExp(`^GET /v2/library/busy/blobs/${digest} `)).length, 1, `${digest} was fetched once`);
    }
    await waitCached("proxy-counted", "busy");
  });

  it("a blob whose bytes do not match its digest is refused and nothing is cached", async () => {
    const image = await upstreamImage("corrupt");
    const layer = image.layers[0]!.blob;
    const hex = layer.digest.slice("sha256:".length);
    const file = join(origin.storage, "docker", "registry", "v2", "blobs", "sha256", hex.slice(0, 2), hex, "data");
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff; // same length, last byte flipped
    writeFileSync(file, bytes);
    const pulled = await skopeo.copy(ref("proxy-direct", "corrupt"), `dir:${join(skopeo.dir, "corrupt")}`);
    assert.notEqual(pulled.code, 0, `the client did not accept the wrong blob: ${pulled.describe}`);
    const direct = await fetch(`${stack.baseUrl}/v2/proxy-direct/library/corrupt/blobs/${layer.digest}`, {
      headers: { authorization: `Bearer ${await api.token(["repository:proxy-direct/library/corrupt:pull"])}` },
    }).catch((err: Error) => err);
    if (!(direct instanceof Error)) {
      const received = await direct.arrayBuffer().catch((err: Error) => err);
      const seen = received instanceof Error ? received.message : `${direct.status} ${JSON.stringify(Object.fromEntries(direct.headers))} ${Buffer.from(received).length} bytes: ${Buffer.from(received).subarray(0, 300).toString("utf8")}`;
      assert.ok(received instanceof Error, `a GET of the blob is cut short instead of completing: ${seen}`);
    }
    // Give the background caching time to have run, then look: no blob row, no manifest.
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(stack.psql(`SELECT count(*) FROM blobs WHERE digest = '${layer.digest}'`), "0");
    assert.equal(cachedTag("proxy-direct", "corrupt"), "");
    assert.match(stack.tail(400), /does not match its digest/);
  });

  it("an upstream answering 429: the cached copy is served, with a proxy.stale_served event", async () => {
    const image = await upstreamImage("throttled");
    const first = await skopeo.copy(ref("proxy-limited", "throttled"), `dir:${join(skopeo.dir, "throttled-1")}`);
    assert.equal(first.code, 0, first.describe);
    await waitCached("proxy-limited", "throttled");
    // Flood the front until it answers 429, and keep it exhausted during the pull.
    let flooding = true;
    const flood = (async () => {
      while (flooding) await fetch(`${limited.url}/v2/`).then((r) => r.arrayBuffer()).catch(() => undefined);
    })();
    const stale = () => stack.psql(`SELECT payload->>'details' FROM outbox_events WHERE type = 'proxy.stale_served' AND payload->>'repository' = 'proxy-limited/library/throttled'`);
    try {
      await eventually(async () => (requests(limited.accessLog, / 429$/).length > 0 ? true : undefined), 60_000, () => "the front never answered 429");
      // The flood takes nearly every token; a pull whose HEAD slipped through is served normally, so
      // pull until one met a 429 (each pull must succeed either way).
      for (let i = 0; i < 5 && stale() === ""; i++) {
        const again = await skopeo.copy(ref("proxy-limited", "throttled"), `dir:${join(skopeo.dir, `throttled-${i + 2}`)}`);
        assert.equal(again.code, 0, again.describe);
      }
    } finally {
      flooding = false;
      await flood;
    }
    assert.match(stale(), /429/, "the stale answer was recorded, naming the 429");
    assert.ok(requests(limited.accessLog, /^HEAD \/v2\/library\/throttled\/manifests\/1 HTTP\/1\.1 429$/).length > 0);
    assert.equal(cachedTag("proxy-limited", "throttled"), image.manifest.digest);
  });

  for (const outage of ["SIGSTOP", "stopped"] as const) {
    it(`upstream ${outage === "SIGSTOP" ? "hung (SIGSTOP)" : "stopped"}: cached tags and digests pull, a miss fails clearly`, async () => {
      const name = `cached-${outage.toLowerCase()}`;
      const image = await upstreamImage(name);
      await upstreamImage(`${name}-never`);
      const first = await skopeo.copy(ref("proxy-direct", name), `dir:${join(skopeo.dir, `${name}-1`)}`);
      assert.equal(first.code, 0, first.describe);
      await waitCached("proxy-direct", name);
      if (outage === "SIGSTOP") dist.signal("origin", "SIGSTOP");
      else await dist.stopOne("origin");
      try {
        const byTag = await podman.pull(`${stack.registry}/proxy-direct/library/${name}:1`);
        assert.equal(byTag.code, 0, byTag.describe);
        const byDigest = await skopeo.copy(ref("proxy-direct", name, `@${image.manifest.digest}`), `dir:${join(skopeo.dir, `${name}-2`)}`);
        assert.equal(byDigest.code, 0, byDigest.describe);
        const miss = await skopeo.copy(ref("proxy-direct", `${name}-never`), `dir:${join(skopeo.dir, `${name}-3`)}`);
        assert.notEqual(miss.code, 0, miss.describe);
        assert.match(miss.describe, /not in the proxy cache/);
        const res = await fetch(`${stack.baseUrl}/v2/proxy-direct/library/${name}-never/manifests/1`, {
          headers: { authorization: `Bearer ${await api.token([`repository:proxy-direct/library/${name}-never:pull`])}` },
        });
        const body = (await res.json()) as { errors: { code: string; message: string }[] };
        assert.equal(res.status, 404, JSON.stringify(body));
        assert.equal(body.errors[0]!.code, "MANIFEST_UNKNOWN");
        assert.match(body.errors[0]!.message, /is not in the proxy cache, and its upstream registry direct failed/);
      } finally {
        if (outage === "SIGSTOP") dist.signal("origin", "SIGCONT");
      }
      const events = stack.psql(`SELECT count(*) FROM outbox_events WHERE type = 'proxy.stale_served' AND payload->>'repository' = 'proxy-direct/library/${name}'`);
      assert.ok(Number(events) >= 1, "a proxy.stale_served event was recorded");
      assert.match(stack.tail(400), /serving the cached copy/);
    });
  }

  it("a multi-platform tag: the index is cached, a platform when a client asks for it; both pull with the upstream stopped", async () => {
    const upstream = await dist.registry("multi-origin");
    const [amd64, arm64] = [makeImage("oci", { architecture: "amd64" }), makeImage("oci", { architecture: "arm64" })];
    const index = makeIndex("oci", [amd64, arm64]);
    const layout = join(skopeo.dir, "multi-layout");
    writeOciLayout(layout, { "1": { top: index, images: [amd64, arm64] } });
    const pushed = await skopeo.copy(`oci:${layout}:1`, `docker://127.0.0.1:${upstream.port}/library/multi:1`, { all: true, preserveDigests: true });
    assert.equal(pushed.code, 0, pushed.describe);
    const id = await createEndpoint(api, { name: "multi", type: "docker-registry", url: upstream.url });
    await api.ok("POST", "/projects", { project_name: "proxy-multi", registry_id: id, metadata: { public: "true" } });
    const tagRef = `${stack.registry}/proxy-multi/library/multi:1`;
    /** One platform of the tag, copied by skopeo as a client on that platform would pull it. */
    const platformCopy = (arch: string, dir: string) =>
      skopeo.run(["copy", "--insecure-policy", "--retry-times", "0", ...tlsArgs(skopeo.tls, "src-"), "--src-no-creds", "--override-os", "linux", "--override-arch", arch, `docker://${tagRef}`, `dir:${join(skopeo.dir, dir)}`]);
    const children = () =>
      stack.psql(
        `SELECT string_agg(mr.digest || '=' || coalesce(c.digest, 'absent'), ',' ORDER BY mr.digest) FROM manifest_references mr JOIN manifests p ON p.id = mr.manifest_id JOIN repositories r ON r.id = p.repository_id LEFT JOIN manifests c ON c.id = mr.child_manifest_id WHERE r.name = 'proxy-multi/library/multi' AND p.digest = '${index.digest}' AND mr.kind = 'child'`,
      );
    const expected = (linked: string[]) => [amd64, arm64].map((i) => `${i.manifest.digest}=${linked.includes(i.manifest.digest) ? i.manifest.digest : "absent"}`).sort().join(",");

    const pulled = await podman.run(["pull", ...tlsArgs(podman.tls), "--platform", "linux/arm64", tagRef]);
    assert.equal(pulled.code, 0, pulled.describe);
    const inspect = await podman.run(["image", "inspect", "--format", "{{.Architecture}}", tagRef]);
    assert.equal(inspect.stdout.trim(), "arm64", inspect.describe);
    // The index is cached under the tag, the arm64 image linked as its child; amd64 not fetched.
    await eventually(async () => (children() === expected([arm64.manifest.digest]) ? true : undefined), 60_000, () => `children: ${children()}\n${stack.tail()}`);
    assert.equal(stack.psql(`SELECT m.digest FROM tags t JOIN repositories r ON r.id = t.repository_id JOIN manifests m ON m.id = t.manifest_id WHERE r.name = 'proxy-multi/library/multi' AND t.name = '1'`), index.digest);
    await eventually(async () => (stack.psql(`SELECT count(*) FROM blobs WHERE digest = '${arm64.layers[0]!.blob.digest}'`) === "1" ? true : undefined), 60_000, () => "the arm64 layer was not cached");

    await dist.stopOne("multi-origin");
    const served = await skopeo.inspectRaw(`docker://${tagRef}`, undefined);
    assert.equal(served.digest, index.digest, `the cached index is served: ${served.result.describe}`);
    const again = await platformCopy("arm64", "multi-arm64");
    assert.equal(again.code, 0, again.describe);
    assert.equal(sha256(readFileSync(join(skopeo.dir, "multi-arm64", "manifest.json"))), arm64.manifest.digest);
    const rmi = await podman.run(["rmi", tagRef]);
    assert.equal(rmi.code, 0, rmi.describe);
    const podmanAgain = await podman.run(["pull", ...tlsArgs(podman.tls), "--platform", "linux/arm64", tagRef]);
    assert.equal(podmanAgain.code, 0, `podman pulls the cached platform with the upstream stopped: ${podmanAgain.describe}`);
    const never = await platformCopy("amd64", "multi-amd64");
    assert.notEqual(never.code, 0, never.describe);
    assert.match(never.describe, /not in the proxy cache/);
  });
});
