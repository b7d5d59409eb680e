import { test } from "node:test";
import assert from "node:assert/strict";
import { parseConfig, z } from "@berth/config";
import { frontDoorHosts, refineTls, tlsEnv, tlsProblems, tlsSource } from "./settings.js";

const parse = (env: Record<string, string>) => parseConfig(z.object(tlsEnv), env);

test("unset: no HTTPS; the HTTPS port defaults to 8443 and HSTS is off", () => {
  const env = parse({});
  assert.deepEqual([env.BERTH_HTTPS_PORT, env.BERTH_TLS_HSTS_MAX_AGE, tlsSource(env)], [8443, 0, undefined]);
  assert.deepEqual(tlsProblems(env), []);
});

test("BERTH_TLS=self-signed, or a certificate and key from files", () => {
  assert.deepEqual(tlsSource(parse({ BERTH_TLS: "self-signed" })), { kind: "self-signed" });
  assert.deepEqual(tlsSource(parse({ BERTH_TLS_CERT: "/c.pem", BERTH_TLS_KEY: "/k.pem" })), { kind: "files", certFile: "/c.pem", keyFile: "/k.pem" });
});

test("each wrong combination is named", () => {
  assert.throws(() => parse({ BERTH_TLS: "on" }), /BERTH_TLS: must be "self-signed"/);
  assert.throws(() => parse({ BERTH_HTTPS_PORT: "0", BERTH_TLS_HSTS_MAX_AGE: "-1" }), (err: Error) => /BERTH_HTTPS_PORT/.test(err.message) && /BERTH_TLS_HSTS_MAX_AGE/.test(err.message));
  const problems = (env: Record<string, string>) => tlsProblems(env as never).map((p) => `${p.variable}: ${p.message}`).join("\n");
  assert.match(problems({ BERTH_TLS_CERT: "/c.pem" }), /^BERTH_TLS_KEY: required with BERTH_TLS_CERT/);
  assert.match(problems({ BERTH_TLS_KEY: "/k.pem" }), /^BERTH_TLS_CERT: required with BERTH_TLS_KEY/);
  assert.match(problems({ BERTH_TLS: "self-signed", BERTH_TLS_CERT: "/c.pem", BERTH_TLS_KEY: "/k.pem" }), /^BERTH_TLS: "self-signed" and .* choose one/);
  // Reported with the other problems of a schema.
  const schema = z.object(tlsEnv).superRefine(refineTls);
  assert.throws(() => parseConfig(schema, { BERTH_TLS_CERT: "/c.pem" }), /BERTH_TLS_KEY: required with BERTH_TLS_CERT/);
});

test("a generated certificate names the external URL's host and the loopback names", () => {
  assert.deepEqual(frontDoorHosts("https://registry.example.com:8443"), ["registry.example.com", "127.0.0.1", "::1", "localhost"]);
  assert.deepEqual(frontDoorHosts("https://[fd00::5]:8443"), ["fd00::5", "127.0.0.1", "::1", "localhost"]);
  assert.deepEqual(frontDoorHosts("https://127.0.0.1:8443"), ["127.0.0.1", "::1", "localhost"]);
});
