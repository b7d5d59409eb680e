import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findExecutable } from "./binaries.js";
import { renderTemplate } from "./nginx.js";

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
    const config = renderTemplate(readFileSync(template, "utf8"), {
      USER_DIRECTIVE: "",
      PREFIX: dir,
      HTML_ROOT: join(dir, "html"),
      LISTEN: "127.0.0.1:1",
      UPSTREAM_REGISTRY: "127.0.0.1:2",
      UPSTREAM_CORE: "127.0.0.1:3",
      UPSTREAM_JOBSERVICE: "127.0.0.1:4",
      SYSLOG_HOST: "127.0.0.1",
      SYSLOG_PORT: "5",
      BLOB_ROOT: join(dir, "blobs"),
    });
    for (const required of ["client_max_body_size 0;", "proxy_request_buffering off;", "proxy_buffering off;", "keepalive 64;", "server_tokens off;", "auth_request ", "location /_berth_blobs/ {\n      internal;"]) {
      assert.ok(config.includes(required), `missing ${required}`);
    }
    writeFileSync(join(dir, "nginx.conf"), config);
    const r = spawnSync(findExecutable("nginx")!, ["-t", "-q", "-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "logs", "error.log")], {
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
