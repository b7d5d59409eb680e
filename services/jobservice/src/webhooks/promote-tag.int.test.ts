// promote_tag end to end in jobservice: a manifest pushed through registry-store is delivered to a
// DockerHub-format target; the consumer POSTs `success` to the payload's callback_url (served
// here by a stand-in for core's route, calling the same `answerCallback` core calls); the
// artifact.validated event reaches the promote-tag subscriber, which adds the tag through
// jobservice's registry-store (a tag.created outbox row, actor webhook-callback) — but never in a
// proxy cache project, which is read-only.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { PrismaClient } from "@berth/db";
import { answerCallback, CallbackGoneError, CallbackUnknownError } from "@berth/webhooks";
import { createPolicy, createProject, startReceiver, startTestJobservice, waitFor, writeEvent, type Receiver, type TestJobservice } from "../test-support.js";

const enabled = Boolean(process.env["BERTH_TEST_PG_URL"] && process.env["BERTH_TEST_REDIS_URL"]);
const digestOf = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}` as never;

/** Core's `POST /api/v2.0/webhook-callbacks/{token}`, reduced to what it does. */
async function startCallbackServer(db: () => PrismaClient): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const token = /^\/api\/v2\.0\/webhook-callbacks\/([^/]+)$/.exec(req.url ?? "")?.[1];
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, string>;
      if (req.method !== "POST" || !token) return void res.writeHead(404).end();
      answerCallback(db(), token, { state: body["state"] as "success", description: body["description"] ?? "", context: body["context"] ?? "", target_url: body["target_url"] ?? "" }).then(
        () => res.writeHead(200).end("{}"),
        (err: unknown) => res.writeHead(err instanceof CallbackUnknownError ? 404 : err instanceof CallbackGoneError ? 410 : 500).end(String(err)),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe("promote_tag", { skip: !enabled && "needs BERTH_TEST_PG_URL and BERTH_TEST_REDIS_URL" }, () => {
  let t: TestJobservice;
  let receiver: Receiver;
  let core: Awaited<ReturnType<typeof startCallbackServer>>;

  before(async () => {
    core = await startCallbackServer(() => t.db);
    receiver = await startReceiver();
    t = await startTestJobservice({ externalUrl: core.url });
  });
  after(async () => {
    await t?.close();
    await receiver?.close();
    await core?.close();
  });

  const upload = async (repo: string, bytes: Buffer): Promise<string> => {
    const digest = digestOf(bytes);
    await t.registry.uploads.uploadMonolithic(repo, digest, (async function* () { yield bytes; })(), bytes.length);
    return digest;
  };
  const tagsOf = async (repo: string) =>
    (await t.db.$queryRaw<{ name: string; digest: string }[]>`
      SELECT t.name, m.digest FROM tags t JOIN repositories r ON r.id = t.repository_id JOIN manifests m ON m.id = t.manifest_id
      WHERE r.name = ${repo} ORDER BY t.name`).map((r) => `${r.name}=${r.digest}`);

  it("adds the tag after a DockerHub-format delivery and a success callback", async () => {
    const projectId = await createProject(t.db, "promo");
    await createPolicy(t.db, projectId, [{ address: `${receiver.url}/jenkins`, payload_format: "DockerHub", promote_tag: "validated" }]);
    const config = Buffer.from('{"architecture":"arm64","os":"linux"}');
    const layer = Buffer.from("promote me");
    const configDigest = await upload("promo/app", config);
    const layerDigest = await upload("promo/app", layer);
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: config.length },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: layerDigest, size: layer.length }],
    }));
    const { digest } = await t.registry.manifests.put("promo/app", { kind: "tag", tag: "1.0" } as never, manifest, "application/vnd.oci.image.manifest.v1+json", { name: "alice" });

    const delivery = await waitFor(() => receiver.requests.find((r) => r.url === "/jenkins"), 15_000, "DockerHub delivery");
    const payload = JSON.parse(delivery.body) as { callback_url: string; push_data: { tag: string; images: string[] }; repository: { repo_name: string } };
    assert.equal(payload.push_data.tag, "1.0");
    assert.ok(payload.callback_url.startsWith(`${core.url}/api/v2.0/webhook-callbacks/`), payload.callback_url);
    assert.deepEqual(await tagsOf("promo/app"), [`1.0=${digest}`]);

    const answer = await fetch(payload.callback_url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ state: "success", description: "Build result SUCCESS", context: "Jenkins", target_url: "http://jenkins.test/job/1" }) });
    assert.equal(answer.status, 200, await answer.text());

    await waitFor(async () => (await tagsOf("promo/app")).includes(`validated=${digest}`), 15_000, "promoted tag");
    assert.deepEqual(await tagsOf("promo/app"), [`1.0=${digest}`, `validated=${digest}`]);
    const created = await t.db.outboxEvent.findFirstOrThrow({ where: { type: "tag.created", payload: { path: ["tag"], equals: "validated" } } });
    assert.deepEqual(
      { repository: (created.payload as Record<string, unknown>)["repository"], digest: (created.payload as Record<string, unknown>)["digest"], actor: (created.payload as Record<string, unknown>)["actor"] },
      { repository: "promo/app", digest, actor: "webhook-callback" },
    );
    // Single use: a second answer is refused and adds nothing.
    const again = await fetch(payload.callback_url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ state: "success" }) });
    assert.equal(again.status, 410);
    // The fan-out of artifact.validated completed (the promotion is not retried forever).
    const validated = await t.db.outboxEvent.findFirstOrThrow({ where: { type: "artifact.validated" } });
    await waitFor(async () => (await t.js.queues.queue("events").getJob(validated.eventId))?.finishedOn, 10_000, "fan-out finished");
    assert.equal(await (await t.js.queues.queue("events").getJob(validated.eventId))!.getState(), "completed");
  });

  it("does not tag in a proxy cache project (read-only): the promotion is skipped", async () => {
    const endpoint = await t.db.registryEndpoint.create({ data: { name: "upstream", type: "docker-registry", url: "http://127.0.0.1:9" } });
    await t.db.project.create({ data: { name: "mirror", ownerId: 1, registryId: endpoint.id } });
    const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: await upload("mirror/app", config), size: config.length },
      layers: [],
    }));
    // As the proxy cache stores what it pulled.
    const { digest } = await t.registry.manifests.put("mirror/app", { kind: "tag", tag: "1.0" } as never, manifest, "application/vnd.oci.image.manifest.v1+json");
    const eventId = await writeEvent(t.db, "artifact.validated", {
      repository: "mirror/app", digest, tag: "1.0", state: "success", description: "", context: "ci", target_url: "", policy_id: 1, promote_tag: "validated",
    });
    await waitFor(async () => (await t.js.queues.queue("events").getJob(eventId))?.finishedOn, 15_000, "fan-out finished");
    assert.equal(await (await t.js.queues.queue("events").getJob(eventId))!.getState(), "completed");
    assert.deepEqual(await tagsOf("mirror/app"), [`1.0=${digest}`], "no tag was added");
  });
});
