import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AddressRefusedError, checkWebhookAddress, isPrivateAddress } from "./address-policy.js";

describe("address policy", () => {
  it("classifies private, loopback and link-local addresses", () => {
    for (const ip of ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "224.0.0.1"]) {
      assert.equal(isPrivateAddress(ip), true, ip);
    }
    for (const ip of ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]) assert.equal(isPrivateAddress(ip), false, ip);
  });

  it("allows loopback by default and refuses it when denyPrivate", async () => {
    await checkWebhookAddress("http://127.0.0.1:9/hook", { denyPrivate: false });
    await assert.rejects(checkWebhookAddress("http://127.0.0.1:9/hook", { denyPrivate: true }), (e: unknown) => e instanceof AddressRefusedError && e.reason === "private");
    await assert.rejects(checkWebhookAddress("http://localhost:9/hook", { denyPrivate: true }), (e: unknown) => e instanceof AddressRefusedError && e.reason === "private");
    await assert.rejects(checkWebhookAddress("http://[::1]:9/hook", { denyPrivate: true }), AddressRefusedError);
  });

  it("refuses other schemes", async () => {
    await assert.rejects(checkWebhookAddress("ftp://example.com/x", { denyPrivate: false }), (e: unknown) => e instanceof AddressRefusedError && e.reason === "scheme");
    await assert.rejects(checkWebhookAddress("not a url", { denyPrivate: false }), (e: unknown) => e instanceof AddressRefusedError && e.reason === "invalid");
  });
});
