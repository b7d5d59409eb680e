// Content for replication tests, pushed over the Distribution API (the e2e's own client): images,
// multi-arch indexes, referrers (a signature and an SBOM with a `subject`), a large streamed layer;
// and the core API calls a replication test makes.
import { randomBytes } from "node:crypto";
import { HttpClient, Repo } from "./oci-client.js";
import { makeImage, makeIndex, makeLayer, MT, sha256, type Blob, type Image, type Layer } from "./images.js";
import type { CoreApi } from "./api.js";

/** A repository client on `baseUrl`, with a Berth token for it when `api` is given (none for an open Distribution). */
export async function repoOn(baseUrl: string, name: string, api?: CoreApi): Promise<Repo> {
  const auth: Record<string, string> = api ? { authorization: `Bearer ${await api.token([`repository:${name}:pull,push,delete`])}` } : {};
  return new Repo(new HttpClient(baseUrl), name, auth);
}

export async function pushImage(repo: Repo, image: Image, tag?: string): Promise<string> {
  for (const b of [image.config, ...image.layers.map((l) => l.blob)]) await repo.pushBlobIfMissing(b.data, b.digest);
  await repo.putManifest(tag ?? image.manifest.digest, image.manifest.data, image.manifest.mediaType);
  return image.manifest.digest;
}

/** A two-platform OCI index (children first, by digest), tagged. */
export async function pushIndex(repo: Repo, tag: string, layers?: Layer[]): Promise<{ index: Blob; images: Image[] }> {
  const images = ["amd64", "arm64"].map((architecture, i) => makeImage("oci", { architecture, ...(layers && i === 0 ? { layers } : {}) }));
  for (const image of images) await pushImage(repo, image);
  const index = makeIndex("oci", images);
  await repo.putManifest(tag, index.data, index.mediaType);
  return { index, images };
}

/** An OCI artifact manifest referring to `subject` (a signature, an SBOM), pushed by digest. */
export async function pushReferrer(repo: Repo, subject: Blob, artifactType: string, content: string): Promise<Blob> {
  const empty = Buffer.from("{}");
  const layer = Buffer.from(content);
  await repo.pushBlobIfMissing(empty, sha256(empty));
  await repo.pushBlobIfMissing(layer, sha256(layer));
  const data = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MT.ociManifest,
      artifactType,
      config: { mediaType: "application/vnd.oci.empty.v1+json", digest: sha256(empty), size: empty.length },
      layers: [{ mediaType: artifactType, digest: sha256(layer), size: layer.length }],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    }),
  );
  const referrer: Blob = { mediaType: MT.ociManifest, digest: sha256(data), size: data.length, data };
  await repo.putManifest(referrer.digest, data, MT.ociManifest);
  return referrer;
}

/** The tag-schema fallback index a client writes for a registry without the referrers API. */
export async function pushFallbackIndex(repo: Repo, subject: string, referrers: Blob[], artifactType: string): Promise<void> {
  const index = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: referrers.map((r) => ({ mediaType: r.mediaType, digest: r.digest, size: r.size, artifactType })) }),
  );
  await repo.putManifest(`sha256-${subject.slice(7)}`, index, MT.ociIndex);
}

/** An image whose one layer is `size` random bytes, streamed (never whole in memory). */
export async function pushLargeImage(repo: Repo, tag: string, size: number): Promise<{ layer: string; manifest: string }> {
  async function* bytes(): AsyncGenerator<Buffer> {
    const chunk = 1024 * 1024;
    for (let sent = 0; sent < size; sent += chunk) yield randomBytes(Math.min(chunk, size - sent));
  }
  const layer = await repo.pushBlobStreamed(bytes(), size);
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [layer] } }));
  await repo.pushBlobIfMissing(config, sha256(config));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MT.ociManifest,
      config: { mediaType: MT.ociConfig, digest: sha256(config), size: config.length },
      layers: [{ mediaType: MT.ociLayer, digest: layer, size }],
    }),
  );
  await repo.putManifest(tag, manifest, MT.ociManifest);
  return { layer, manifest: sha256(manifest) };
}

/** The digest a registry serves `reference` under (`undefined` when it has none). */
export async function digestOf(repo: Repo, reference: string): Promise<string | undefined> {
  try {
    const res = await repo.getManifest(reference);
    return sha256(res.body);
  } catch {
    return undefined;
  }
}

export { makeImage, makeLayer, MT, sha256 };

export interface Execution {
  id: number;
  policy_id: number;
  status: string;
  trigger: string;
  status_text: string;
  total: number;
  failed: number;
  succeed: number;
  in_progress: number;
  stopped: number;
}

export interface ReplicationTask {
  id: number;
  status: string;
  status_text: string;
  src_resource: string;
  dst_resource: string;
  bytes: number;
  run_count: number;
}

/** Creates a registry endpoint; returns its id. */
export async function createEndpoint(api: CoreApi, body: Record<string, unknown>): Promise<number> {
  const res = await api.ok("POST", "/registries", body);
  return Number(res.headers.get("location")!.split("/").pop());
}

/** Creates a replication policy; returns its id. */
export async function createReplicationPolicy(api: CoreApi, body: Record<string, unknown>): Promise<number> {
  const res = await api.ok("POST", "/replication/policies", { override: true, enabled: true, ...body });
  return Number(res.headers.get("location")!.split("/").pop());
}

export async function startExecution(api: CoreApi, policyId: number): Promise<number> {
  const res = await api.ok("POST", "/replication/executions", { policy_id: policyId });
  return Number(res.headers.get("location")!.split("/").pop());
}

export async function execution(api: CoreApi, id: number): Promise<Execution> {
  return (await api.ok("GET", `/replication/executions/${id}`)).body as Execution;
}

export async function tasks(api: CoreApi, executionId: number): Promise<ReplicationTask[]> {
  return (await api.ok("GET", `/replication/executions/${executionId}/tasks?page_size=100`)).body as ReplicationTask[];
}

export async function taskLog(api: CoreApi, executionId: number, taskId: number): Promise<string> {
  return (await api.ok("GET", `/replication/executions/${executionId}/tasks/${taskId}/log`)).text;
}

/** Waits until the execution is no longer in progress (or `timeoutMs` passes) and returns it. */
export async function finished(api: CoreApi, id: number, timeoutMs = 120_000): Promise<Execution> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const e = await execution(api, id);
    if (e.status !== "InProgress" && e.status !== "Pending") return e;
    if (Date.now() > deadline) throw new Error(`execution ${id} still ${e.status} after ${timeoutMs / 1000} s: ${JSON.stringify(e)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** All task logs of an execution, for assertion messages. */
export async function logs(api: CoreApi, executionId: number): Promise<string> {
  const out: string[] = [];
  for (const t of await tasks(api, executionId)) out.push(`--- task ${t.id} ${t.status} ${t.src_resource}\n${await taskLog(api, executionId, t.id)}`);
  return out.join("\n");
}
