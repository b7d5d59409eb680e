import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureSelfSignedTls, selfSignedFiles } from "./self-signed.js";
import { trustInstructions } from "./trust-instructions.js";

const hosts = ["registry.example.com", "127.0.0.1", "::1", "localhost"];

function withDataDir(fn: (dir: string) => Promise<void>) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-tls-test-"));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const read = (file: string) => new X509Certificate(readFileSync(file));

test(
  "the first start makes a CA and a server certificate it signs, for every host, keys 0600 in a 0700 folder",
  withDataDir(async (dataDir) => {
    const tls = await ensureSelfSignedTls({ dataDir, hosts });
    assert.deepEqual(tls.made, ["a CA", "a server certificate for registry.example.com, 127.0.0.1, ::1, localhost (there was none)"]);
    assert.equal(tls.dir, join(dataDir, "secrets", "tls"));
    const ca = read(tls.caFile);
    const server = read(tls.certFile);
    assert.equal(ca.ca, true);
    assert.equal(server.ca, false);
    assert.ok(server.verify(ca.publicKey), "signed by the CA");
    assert.ok(server.checkPrivateKey(createPrivateKey(readFileSync(tls.keyFile))));
    assert.equal(server.checkHost("registry.example.com"), "registry.example.com");
    assert.equal(server.checkIP("127.0.0.1"), "127.0.0.1");
    assert.equal(server.checkIP("::1"), "::1");
    assert.equal(server.checkHost("localhost"), "localhost");
    assert.equal(server.checkHost("other.example.com"), undefined);
    assert.match(server.keyUsage?.join() ?? "", /1\.3\.6\.1\.5\.5\.7\.3\.1/, "extended key usage: server authentication");
    const days = (server.validToDate.getTime() - Date.now()) / 86_400_000;
    assert.ok(days > 390 && days <= 397, `a server certificate lasts 397 days at most (${days})`);
    assert.ok(ca.validToDate.getTime() - Date.now() > 9 * 365 * 86_400_000, "the CA lasts ten years");
    assert.equal(tls.caPem, ca.toString());
    assert.equal(statSync(tls.dir).mode & 0o777, 0o700);
    for (const key of [tls.keyFile, tls.caKeyFile]) assert.equal(statSync(key).mode & 0o777, 0o600, key);
  }),
);

test(
  "later starts keep both; a new host or an end within 30 days re-issues the server certificate, under the same CA",
  withDataDir(async (dataDir) => {
    const first = await ensureSelfSignedTls({ dataDir, hosts });
    const caPem = first.caPem;
    const serverPem = readFileSync(first.certFile, "utf8");
    const again = await ensureSelfSignedTls({ dataDir, hosts });
    assert.deepEqual(again.made, []);
    assert.equal(readFileSync(first.certFile, "utf8"), serverPem);

    const moved = await ensureSelfSignedTls({ dataDir, hosts: ["10.0.0.7", ...hosts.slice(1)] });
    assert.deepEqual(moved.made, ["a server certificate for 10.0.0.7, 127.0.0.1, ::1, localhost (it did not name 10.0.0.7)"]);
    assert.equal(moved.caPem, caPem, "clients keep trusting the same CA");
    assert.equal(read(moved.certFile).checkIP("10.0.0.7"), "10.0.0.7");

    const later = new Date(Date.now() + 380 * 86_400_000);
    const renewed = await ensureSelfSignedTls({ dataDir, hosts: ["10.0.0.7"], now: later });
    assert.match(renewed.made.join(), /^a server certificate for 10\.0\.0\.7 \(it expires on /);
    assert.equal(renewed.caPem, caPem);
  }),
);

test(
  "a CA near its end is replaced (and says so); a CA without its key is an error, not replaced",
  withDataDir(async (dataDir) => {
    const first = await ensureSelfSignedTls({ dataDir, hosts });
    const renewed = await ensureSelfSignedTls({ dataDir, hosts, now: new Date(Date.now() + 3640 * 86_400_000) });
    assert.match(renewed.made[0] ?? "", /^a new CA: the one made earlier expires on .* \(clients have to trust the new one\)$/);
    assert.notEqual(renewed.caPem, first.caPem);
    assert.ok(read(renewed.certFile).verify(read(renewed.caFile).publicKey), "the server certificate is the new CA's");

    unlinkSync(selfSignedFiles(dataDir).caKeyFile);
    await assert.rejects(ensureSelfSignedTls({ dataDir, hosts }), /ca\.key is missing while .*ca\.crt exists; remove both to make a new CA/);
  }),
);

test("the instructions name the certs.d folders of the external URL's host and port", () => {
  const lines = trustInstructions({ externalUrl: "https://10.1.2.3:8443", caFile: "/srv/berth/secrets/tls/ca.crt" });
  assert.match(lines.join("\n"), /sudo cp \/srv\/berth\/secrets\/tls\/ca\.crt \/etc\/docker\/certs\.d\/10\.1\.2\.3:8443\/ca\.crt/);
  assert.match(lines.join("\n"), /\/etc\/containers\/certs\.d\/10\.1\.2\.3:8443\/ca\.crt/);
  assert.match(lines.join("\n"), /curl --cacert \/srv\/berth\/secrets\/tls\/ca\.crt https:\/\/10\.1\.2\.3:8443\/api\/v2\.0\/health/);
  // Port 443 is not part of Docker's folder name.
  assert.match(trustInstructions({ externalUrl: "https://registry.example.com", caFile: "ca.crt", fetchCa: "get-it" }).join("\n"), /get it: +get-it\n.*\/etc\/docker\/certs\.d\/registry\.example\.com\/ca\.crt/);
});
