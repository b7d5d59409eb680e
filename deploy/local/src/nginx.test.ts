import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findExecutable } from "./binaries.js";
import { ConfigError } from "@berth/config";
import { loadLocalConfig } from "./config.js";
import { parseTrustedProxies, renderProxyConfig, renderTemplate } from "./nginx.js";

const template = fileURLToPath(new URL("../../../services/proxy/nginx.conf.template", import.meta.url));

test("renderTemplate fills placeholders and leaves nginx variables alone", () => {
  assert.equal(renderTemplate("listen {{LISTEN}}; set $x $host;", { LISTEN: "127.0.0.1:80" }), "listen 127.0.0.1:80; set $x $host;");
});

test("renderTemplate fails on a placeholder without a value and on a value without a placeholder", () => {
  assert.throws(() => renderTemplate("{{A}} {{B}}", { A: "1" }), /no value for \{\{B\}\}/);
  assert.throws(() => renderTemplate("{{A}}", { A: "1", C: "2" }), /\{\{C\}\} not in the template/);
});

test("the proxy's template renders into a config nginx accepts", { skip: !findExecutable("nginx") && "nginx is not installed" }, () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-nginx-test-"));
  try {
    mkdirSync(join(dir, "logs"));
    mkdirSync(join(dir, "tmp"));
    mkdirSync(join(dir, "html"));
    for (const trustedProxies of [[], ["10.0.0.0/8", "192.0.2.7", "fd00::/8"]]) {
      const config = renderProxyConfig(readFileSync(template, "utf8"), {
        prefix: dir,
        htmlRoot: join(dir, "html"),
        listenHost: "127.0.0.1",
        listenPort: 1,
        upstreams: { registry: "127.0.0.1:2", core: "127.0.0.1:3", jobservice: "127.0.0.1:4" },
        syslogPort: 5,
        blobRoot: join(dir, "blobs"),
        trustedProxies,
      });
      for (const required of [
        "client_max_body_size 0;",
        "proxy_request_buffering off;",
        "proxy_buffering off;",
        "keepalive 64;",
        "server_tokens off;",
        "auth_request ",
        "location /_berth_blobs/ {\n      internal;",
        "proxy_set_header X-Forwarded-For $remote_addr;",
        "location /c/ {",
        "error_page 400 404 405 413 414 416 494 500 501 502 503 504 /_berth/error;",
      ]) {
        assert.ok(config.includes(required), `missing ${required}`);
      }
      assert.ok(!config.includes("$proxy_add_x_forwarded_for"), "a client's X-Forwarded-For is never passed on");
      assert.equal(config.includes("real_ip_recursive on;"), trustedProxies.length > 0);
      for (const p of trustedProxies) assert.ok(config.includes(`set_real_ip_from ${p};`));
      writeFileSync(join(dir, "nginx.conf"), config);
      const r = spawnSync(findExecutable("nginx")!, ["-t", "-q", "-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "logs", "error.log")], {
        encoding: "utf8",
      });
      assert.equal(r.status, 0, r.stderr);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("BERTH_TRUSTED_PROXIES: addresses and CIDR blocks, comma or space separated; anything else is named", () => {
  assert.deepEqual(parseTrustedProxies(undefined), []);
  assert.deepEqual(parseTrustedProxies(" "), []);
  assert.deepEqual(parseTrustedProxies("10.0.0.0/8, 192.0.2.7 fd00::/8,::1"), ["10.0.0.0/8", "192.0.2.7", "fd00::/8", "::1"]);
  try {
    parseTrustedProxies("10.0.0.0/33, example.com, 1.2.3.4/8/8, fd00::/129, 10.0.0.1");
    assert.fail("expected a ConfigError");
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.deepEqual(
      err.problems.map((p) => p.split(" ")[1]),
      ['"10.0.0.0/33"', '"example.com"', '"1.2.3.4/8/8"', '"fd00::/129"'],
    );
    assert.ok(err.problems.every((p) => p.startsWith("BERTH_TRUSTED_PROXIES: ")));
  }
  // The launcher checks it with the rest of its settings, before starting anything.
  assert.throws(() => loadLocalConfig({ BERTH_TRUSTED_PROXIES: "proxy.example" }, "/tmp"), (err: unknown) => err instanceof ConfigError && /BERTH_TRUSTED_PROXIES.*"proxy\.example"/.test(err.message));
  assert.equal(loadLocalConfig({ BERTH_TRUSTED_PROXIES: "10.0.0.0/8" }, "/tmp").httpPort, 8080);
});
