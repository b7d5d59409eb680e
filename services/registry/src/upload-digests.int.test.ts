/**
 * Every upload path hashes what it stored, in every algorithm the spec allows (sha256, sha512),
 * on every driver: monolithic POST with the body, POST then PUT with the body, POST + PATCH + PUT,
 * and a PUT whose last chunk comes with it. A wrong digest names the digest of what was sent.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { startHarness, type Harness, type HarnessOptions } from "./testing/harness.js";

const adminUrl = process.env["BERTH_TEST_PG_URL"];

function digestOf(algorithm: "sha256" | "sha512", bytes: Buffer): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest("hex")}`;
}

for (const driver of ["filesystem", "s3"] as const) {
  describe(`upload digests (${driver})`, { skip: adminUrl === undefined && "BERTH_TEST_PG_URL is not set" }, () => {
    let h: Harness;
    let tok: string;
    const repo = "lib/digests";
    before(async () => {
      h = await startHarness(adminUrl!, { driver } satisfies HarnessOptions);
      tok = h.token([`repository:${repo}:pull,push`]);
    });
    after(() => h?.close());

    /** Starts a session; returns its Location. */
    async function session(): Promise<string> {
      const r = await h.request("POST", `/v2/${repo}/blobs/uploads/`, { token: tok });
      assert.equal(r.status, 202);
      return String(r.headers["location"]);
    }
    const withDigest = (location: string, digest: string) => `${location}${location.includes("?") ? "&" : "?"}digest=${digest}`;

    /** The upload paths: each returns the closing response. */
    const paths: Record<string, (bytes: Buffer, digest: string) => Promise<{ status: number; json(): any; headers: Record<string, unknown> }>> = {
      "POST ?digest= with the body": (bytes, digest) =>
        h.request("POST", `/v2/${repo}/blobs/uploads/?digest=${digest}`, { token: tok, body: bytes, headers: { "Content-Type": "application/octet-stream" } }),
      "POST, then PUT with the body": async (bytes, digest) =>
        h.request("PUT", withDigest(await session(), digest), { token: tok, body: bytes, headers: { "Content-Type": "application/octet-stream" } }),
      "POST, PATCH, PUT": async (bytes, digest) => {
        const patched = await h.request("PATCH", await session(), { token: tok, body: bytes, headers: { "Content-Type": "application/octet-stream" } });
        assert.equal(patched.status, 202);
        return h.request("PUT", withDigest(String(patched.headers["location"]), digest), { token: tok });
      },
      "POST, PATCH, PUT with the last chunk": async (bytes, digest) => {
        const half = Math.floor(bytes.length / 2);
        const patched = await h.request("PATCH", await session(), {
          token: tok,
          body: bytes.subarray(0, half),
          headers: { "Content-Type": "application/octet-stream", "Content-Range": `0-${half - 1}` },
        });
        assert.equal(patched.status, 202);
        return h.request("PUT", withDigest(String(patched.headers["location"]), digest), {
          token: tok,
          body: bytes.subarray(half),
          headers: { "Content-Type": "application/octet-stream", "Content-Range": `${half}-${bytes.length - 1}` },
        });
      },
    };

    for (const algorithm of ["sha256", "sha512"] as const) {
      for (const [name, upload] of Object.entries(paths)) {
        test(`${algorithm}: ${name}`, async () => {
          const bytes = Buffer.from(`${driver} ${algorithm} ${name} `.repeat(300));
          const digest = digestOf(algorithm, bytes);
          const r = await upload(bytes, digest);
          assert.equal(r.status, 201, JSON.stringify(r.status === 201 ? {} : r.json()));
          assert.equal(r.headers["docker-content-digest"], digest);
          const got = await h.request("GET", `/v2/${repo}/blobs/${digest}`, { token: tok });
          assert.equal(got.status, 200);
          assert.deepEqual(got.body, bytes);

          // A digest of other bytes is refused, reporting the digest of what was actually sent.
          const other = Buffer.from(`other bytes for ${digest}`);
          const wrong = await upload(other, digest);
          assert.equal(wrong.status, 400);
          assert.equal(wrong.json().errors[0].code, "DIGEST_INVALID");
          assert.deepEqual(wrong.json().errors[0].detail, { expected: digest, actual: digestOf(algorithm, other) });
        });
      }
    }
  });
}
