/**
 * A real client: skopeo pushes a multi-layer image and an OCI index (hand-built OCI layouts) to
 * the in-process registry with a bearer token, copies them back out, and every digest matches.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import { startHarness, type Harness } from "./testing/harness.js";

const run = promisify(execFile);
const adminUrl = process.env["BERTH_TEST_PG_URL"];
const skopeo = await run("skopeo", ["--version"]).then(
  () => true,
  () => false,
);

interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string };
  annotations?: Record<string, string>;
}

class Layout {
  constructor(readonly dir: string) {}
  async init(): Promise<void> {
    await mkdir(join(this.dir, "blobs", "sha256"), { recursive: true });
    await writeFile(join(this.dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  }
  async blob(mediaType: string, bytes: Buffer): Promise<Desc> {
    const hex = createHash("sha256").update(bytes).digest("hex");
    await writeFile(join(this.dir, "blobs", "sha256", hex), bytes);
    return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
  }
  async json(mediaType: string, value: unknown): Promise<Desc> {
    return this.blob(mediaType, Buffer.from(JSON.stringify(value)));
  }
  async image(arch: string, layerCount: number): Promise<Desc> {
    const layers: Desc[] = [];
    const diffIds: string[] = [];
    for (let i = 0; i < layerCount; i++) {
      const raw = randomBytes(50_000 + i * 1000);
      diffIds.push(`sha256:${createHash("sha256").update(raw).digest("hex")}`);
      layers.push(await this.blob("application/vnd.oci.image.layer.v1.tar+gzip", gzipSync(raw)));
    }
    const config = await this.json("application/vnd.oci.image.config.v1+json", {
      architecture: arch,
      os: "linux",
      rootfs: { type: "layers", diff_ids: diffIds },
      config: {},
    });
    const manifest = await this.json("application/vnd.oci.image.manifest.v1+json", {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config,
      layers,
    });
    return { ...manifest, platform: { architecture: arch, os: "linux" } };
  }
  async index(refs: Record<string, Desc>): Promise<void> {
    const manifests = Object.entries(refs).map(([ref, d]) => ({ ...d, annotations: { "org.opencontainers.image.ref.name": ref } }));
    await writeFile(join(this.dir, "index.json"), JSON.stringify({ schemaVersion: 2, manifests }));
  }
}

describe("skopeo against the registry", { skip: (adminUrl === undefined && "BERTH_TEST_PG_URL is not set") || (!skopeo && "skopeo is not installed") }, () => {
  let h: Harness;
  let dir: string;
  before(async () => {
    h = await startHarness(adminUrl!);
    dir = await mkdtemp(join(tmpdir(), "berth-skopeo-"));
  });
  after(async () => {
    await h?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const copy = (args: string[]) => run("skopeo", ["--insecure-policy", "copy", "--retry-times", "0", ...args], { timeout: 120_000 });

  test("push and pull a multi-layer image and an OCI index; digests identical", async () => {
    const src = new Layout(join(dir, "src"));
    await src.init();
    const image = await src.image("amd64", 3);
    const amd = await src.image("amd64", 2);
    const arm = await src.image("arm64", 2);
    const index = await src.json("application/vnd.oci.image.index.v1+json", {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [amd, arm],
    });
    await src.index({ single: image, multi: index });

    const token = h.token(["repository:skopeo/app:pull,push"]);
    const registry = `127.0.0.1:${h.port}`;
    await copy(["--dest-tls-verify=false", "--dest-registry-token", token, `oci:${src.dir}:single`, `docker://${registry}/skopeo/app:single`]);
    await copy(["--all", "--preserve-digests", "--dest-tls-verify=false", "--dest-registry-token", token, `oci:${src.dir}:multi`, `docker://${registry}/skopeo/app:multi`]);

    const single = await h.request("GET", "/v2/skopeo/app/manifests/single", { token });
    assert.equal(single.headers["docker-content-digest"], image.digest);
    const multi = await h.request("GET", "/v2/skopeo/app/manifests/multi", { token });
    assert.equal(multi.headers["docker-content-digest"], index.digest);
    assert.equal(multi.headers["content-type"], "application/vnd.oci.image.index.v1+json");

    const inspect = await run("skopeo", ["inspect", "--raw", "--tls-verify=false", "--registry-token", token, `docker://${registry}/skopeo/app:single`]);
    assert.equal(`sha256:${createHash("sha256").update(inspect.stdout).digest("hex")}`, image.digest);

    const out = join(dir, "out");
    await copy(["--src-tls-verify=false", "--src-registry-token", token, `docker://${registry}/skopeo/app:single`, `oci:${out}:single`]);
    await copy(["--all", "--preserve-digests", "--src-tls-verify=false", "--src-registry-token", token, `docker://${registry}/skopeo/app:multi`, `oci:${out}:multi`]);
    const outIndex = JSON.parse(await readFile(join(out, "index.json"), "utf8")) as { manifests: Desc[] };
    const byRef = Object.fromEntries(outIndex.manifests.map((m) => [m.annotations?.["org.opencontainers.image.ref.name"], m.digest]));
    assert.equal(byRef["single"], image.digest);
    assert.equal(byRef["multi"], index.digest);
    for (const d of [image, amd, arm, index]) {
      const hex = d.digest.slice("sha256:".length);
      const bytes = await readFile(join(out, "blobs", "sha256", hex));
      assert.equal(createHash("sha256").update(bytes).digest("hex"), hex);
      assert.deepEqual(bytes, await readFile(join(src.dir, "blobs", "sha256", hex)));
    }
  });
});
