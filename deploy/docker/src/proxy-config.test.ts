// The proxy image renders the front-door template with a shell script and awk; `npm start` renders
// it with deploy/local's renderProxyConfig. One template, two renderers: they must agree byte for
// byte, for every mode, and the result must be a config nginx accepts.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findExecutable, renderProxyConfig, renderTemplate, type ProxyConfigOptions } from "@berth/local-stack";
import { ensureSelfSignedTls, selfSignedFiles } from "@berth/tls";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const proxyDir = join(repo, "services", "proxy");
const renderScript = join(repo, "deploy", "docker", "proxy", "render-config.sh");

/** A folder laid out like the image's /opt/berth/proxy, with `template` as nginx.conf.template. */
function imageHome(template?: string): string {
  const home = mkdtempSync(join(tmpdir(), "berth-proxy-home-"));
  mkdirSync(join(home, "html"));
  for (const file of ["render-template.awk", "check-tls.sh"]) copyFileSync(join(proxyDir, file), join(home, file));
  if (template === undefined) copyFileSync(join(proxyDir, "nginx.conf.template"), join(home, "nginx.conf.template"));
  else writeFileSync(join(home, "nginx.conf.template"), template);
  return home;
}

function renderInImage(home: string, env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("sh", [renderScript], {
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", BERTH_PROXY_HOME: home, BERTH_PROXY_PREFIX: join(home, "prefix"), ...env },
    encoding: "utf8",
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// A data directory with a generated certificate: the secrets volume of `BERTH_TLS=self-signed`,
// and valid files for an operator's own.
const dataDir = mkdtempSync(join(tmpdir(), "berth-proxy-tls-"));
const tls = selfSignedFiles(dataDir);
before(() => ensureSelfSignedTls({ dataDir, hosts: ["registry.example.com", "127.0.0.1"] }));
after(() => rmSync(dataDir, { recursive: true, force: true }));

/** The same front door described both ways. */
interface Case {
  name: string;
  env: Record<string, string>;
  options: (home: string) => ProxyConfigOptions;
}

const cases: Case[] = [
  {
    name: "fixed upstreams with keep-alive, no trusted proxies",
    env: {
      BERTH_PROXY_RESOLVER: "",
      BERTH_PROXY_LISTEN: "127.0.0.1:18080",
      BERTH_REGISTRY_URL: "http://127.0.0.1:5001",
      BERTH_CORE_URL: "http://127.0.0.1:5002/",
      BERTH_JOBSERVICE_URL: "http://127.0.0.1:5003",
      BERTH_SYSLOG_HOST: "127.0.0.1",
      BERTH_SYSLOG_PORT: "5514",
      BERTH_STORAGE_FILESYSTEM_ROOT: "/srv/blobs",
    },
    options: (home) => ({
      prefix: join(home, "prefix"),
      htmlRoot: join(home, "html"),
      listenHost: "127.0.0.1",
      listenPort: 18080,
      upstreams: { registry: "127.0.0.1:5001", core: "127.0.0.1:5002", jobservice: "127.0.0.1:5003" },
      syslogPort: 5514,
      blobRoot: "/srv/blobs",
    }),
  },
  {
    name: "names resolved through Docker's DNS, trusted proxies (the compose defaults)",
    env: { BERTH_TRUSTED_PROXIES: "10.0.0.0/8, 192.0.2.7 fd00::/8", BERTH_SYSLOG_HOST: "127.0.0.1" },
    options: (home) => ({
      prefix: join(home, "prefix"),
      htmlRoot: join(home, "html"),
      listenHost: "0.0.0.0",
      listenPort: 8080,
      upstreams: { registry: "registry:8080", core: "core:8080", jobservice: "jobservice:8080" },
      syslogHost: "127.0.0.1",
      syslogPort: 1514,
      blobRoot: "/data/registry",
      trustedProxies: ["10.0.0.0/8", "192.0.2.7", "fd00::/8"],
      resolver: "127.0.0.11",
    }),
  },
  {
    name: "HTTPS from the operator's files where the compose file mounts them, published on 443, HSTS",
    env: {
      BERTH_TLS_CERT: "/srv/tls/fullchain.pem",
      BERTH_TLS_KEY: "/srv/tls/privkey.pem",
      BERTH_PROXY_TLS_CERT: tls.certFile,
      BERTH_PROXY_TLS_KEY: tls.keyFile,
      BERTH_HTTPS_PORT: "443",
      BERTH_TLS_HSTS_MAX_AGE: "31536000",
      BERTH_EXTERNAL_URL: "https://registry.example.com",
      BERTH_SYSLOG_HOST: "127.0.0.1",
    },
    options: (home) => ({
      prefix: join(home, "prefix"),
      htmlRoot: join(home, "html"),
      listenHost: "0.0.0.0",
      listenPort: 8080,
      upstreams: { registry: "registry:8080", core: "core:8080", jobservice: "jobservice:8080" },
      syslogHost: "127.0.0.1",
      syslogPort: 1514,
      blobRoot: "/data/registry",
      resolver: "127.0.0.11",
      tls: { certFile: tls.certFile, keyFile: tls.keyFile, port: 8443, publicPort: 443, hstsMaxAge: 31536000 },
    }),
  },
  {
    name: "HTTPS with the generated certificate from the secrets volume, fixed upstreams",
    env: {
      BERTH_TLS: "self-signed",
      BERTH_DATA_DIR: dataDir,
      BERTH_PROXY_RESOLVER: "",
      BERTH_PROXY_LISTEN: "127.0.0.1:18080",
      BERTH_PROXY_LISTEN_TLS: "127.0.0.1:18443",
      BERTH_HTTPS_PORT: "18443",
      BERTH_REGISTRY_URL: "http://127.0.0.1:5001",
      BERTH_CORE_URL: "http://127.0.0.1:5002",
      BERTH_JOBSERVICE_URL: "http://127.0.0.1:5003",
      BERTH_SYSLOG_HOST: "127.0.0.1",
    },
    options: (home) => ({
      prefix: join(home, "prefix"),
      htmlRoot: join(home, "html"),
      listenHost: "127.0.0.1",
      listenPort: 18080,
      upstreams: { registry: "127.0.0.1:5001", core: "127.0.0.1:5002", jobservice: "127.0.0.1:5003" },
      syslogHost: "127.0.0.1",
      syslogPort: 1514,
      blobRoot: "/data/registry",
      tls: { certFile: tls.certFile, keyFile: tls.keyFile, port: 18443, publicPort: 18443, hstsMaxAge: 0 },
    }),
  },
];

for (const c of cases) {
  test(`the proxy image and npm start render the same nginx.conf: ${c.name}`, () => {
    const home = imageHome();
    try {
      const image = renderInImage(home, c.env);
      assert.equal(image.status, 0, image.stderr);
      const local = renderProxyConfig(readFileSync(join(proxyDir, "nginx.conf.template"), "utf8"), c.options(home));
      assert.equal(image.stdout, local);
      const nginx = findExecutable("nginx");
      if (nginx) {
        mkdirSync(join(home, "prefix", "logs"), { recursive: true });
        mkdirSync(join(home, "prefix", "tmp"), { recursive: true });
        writeFileSync(join(home, "nginx.conf"), image.stdout);
        const check = spawnSync(nginx, ["-t", "-q", "-p", join(home, "prefix"), "-c", join(home, "nginx.conf"), "-e", "stderr"], { encoding: "utf8" });
        assert.equal(check.status, 0, check.stderr);
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
}

test("the compose defaults resolve service names at request time; BERTH_PROXY_RESOLVER= fixes them with keep-alive", () => {
  const home = imageHome();
  try {
    const dns = renderInImage(home, {}).stdout;
    assert.match(dns, /resolver 127\.0\.0\.11 valid=5s ipv6=off;/);
    assert.match(dns, /map \$host \$berth_registry \{ default registry:8080; \}/);
    assert.doesNotMatch(dns, /upstream berth_registry/);
    const fixed = renderInImage(home, { BERTH_PROXY_RESOLVER: "" }).stdout;
    assert.doesNotMatch(fixed, /resolver /);
    assert.match(fixed, /upstream berth_registry \{\n\s+server registry:8080;\n\s+keepalive 64;/);
    assert.match(fixed, /map \$host \$berth_registry \{ default berth_registry; \}/);
    for (const config of [dns, fixed]) assert.match(config, /proxy_pass http:\/\/\$berth_registry;/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test("HTTPS: one listener for each; plain HTTP redirects with 308 to the published HTTPS port; HSTS only when asked", () => {
  const home = imageHome();
  try {
    const plain = renderInImage(home, {});
    assert.equal(plain.status, 0, plain.stderr);
    assert.doesNotMatch(plain.stdout, /ssl|return 308/);
    const files = { BERTH_TLS_CERT: tls.certFile, BERTH_TLS_KEY: tls.keyFile };
    const https = renderInImage(home, files).stdout;
    assert.match(https, /listen 0\.0\.0\.0:8080;\n/);
    assert.match(https, /listen 0\.0\.0\.0:8443 ssl http2;/);
    assert.match(https, /ssl_protocols TLSv1\.2 TLSv1\.3;/);
    assert.match(https, /ssl_session_tickets off;/);
    assert.match(https, /return 308 https:\/\/\$host:8443\$request_uri;/);
    assert.match(https, /on "";/, "no HSTS by default");
    assert.match(renderInImage(home, { ...files, BERTH_HTTPS_PORT: "443" }).stdout, /return 308 https:\/\/\$host\$request_uri;/);
    assert.match(renderInImage(home, { ...files, BERTH_TLS_HSTS_MAX_AGE: "600" }).stdout, /on "max-age=600";/);
    assert.match(renderInImage(home, { BERTH_TLS_HSTS_MAX_AGE: "600" }).stdout, /on "";/, "no HSTS without HTTPS");
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test("the proxy container refuses wrong HTTPS settings and a certificate it cannot serve, with the reasons", () => {
  const home = imageHome();
  try {
    const refused: [Record<string, string>, RegExp][] = [
      [{ BERTH_TLS: "on" }, /^berth-proxy: BERTH_TLS: must be "self-signed"/],
      [{ BERTH_TLS: "self-signed", BERTH_TLS_CERT: "/c.pem", BERTH_TLS_KEY: "/k.pem" }, /choose one/],
      [{ BERTH_TLS_CERT: "/c.pem" }, /^berth-proxy: BERTH_TLS_KEY: required with BERTH_TLS_CERT/],
      [{ BERTH_TLS_CERT: tls.certFile, BERTH_TLS_KEY: tls.keyFile, BERTH_HTTPS_PORT: "http" }, /BERTH_HTTPS_PORT: "http" is not a whole number from 1 to 65535/],
      // check-tls.sh, with the operator's names for the files (the compose file mounts them elsewhere).
      [
        { BERTH_TLS_CERT: "/host/cert.pem", BERTH_TLS_KEY: "/host/key.pem", BERTH_PROXY_TLS_CERT: tls.caFile, BERTH_PROXY_TLS_KEY: tls.keyFile },
        /^BERTH_TLS_KEY \(\/host\/key\.pem\): does not belong to the certificate in BERTH_TLS_CERT \(\/host\/cert\.pem\)/m,
      ],
      [{ BERTH_TLS: "self-signed", BERTH_DATA_DIR: join(dataDir, "none") }, /^the generated certificate \(.*\/none\/secrets\/tls\/server\.crt\): no such file$/m],
    ];
    for (const [env, message] of refused) {
      const r = renderInImage(home, env);
      assert.equal(r.status, 2, `${JSON.stringify(env)}: ${r.stderr}`);
      assert.match(r.stderr, message, JSON.stringify(env));
      assert.equal(r.stdout, "", "no config");
    }
    // A certificate that does not name the external URL's host: a warning, on stderr.
    const warned = renderInImage(home, { BERTH_TLS: "self-signed", BERTH_DATA_DIR: dataDir, BERTH_EXTERNAL_URL: "https://other.example.com:8443" });
    assert.equal(warned.status, 0, warned.stderr);
    assert.match(warned.stderr, /^warning: the generated certificate .* does not name other\.example\.com/m);
    assert.doesNotMatch(warned.stdout, /warning/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test("a bad trusted proxy stops the proxy container with the reason", () => {
  const home = imageHome();
  try {
    const r = renderInImage(home, { BERTH_TRUSTED_PROXIES: "10.0.0.0/8,example.com" });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /BERTH_TRUSTED_PROXIES: "example\.com" is not an IP address or CIDR block/);
    assert.equal(r.stdout, "");
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

// The renderers' rules, on small templates: sections, nesting, and every kind of mistake.
const template = ["a {{A}}", "#{{#ON}}", "on {{B}}", "  #{{#OFF}}", "off {{C}}", "  #{{/OFF}}", "#{{/ON}}", "end $host", ""].join("\n");

function awk(text: string, values: Record<string, string>) {
  const home = imageHome(text);
  try {
    const env = Object.fromEntries(Object.entries(values).map(([k, v]) => [`BERTH_TPL_${k}`, v]));
    const r = spawnSync("awk", ["-v", `names=${Object.keys(values).join(" ")}`, "-f", join(home, "render-template.awk"), join(home, "nginx.conf.template")], {
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", ...env },
      encoding: "utf8",
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

test("both renderers keep `on` sections, drop `off` ones (nested too) and need no values for dropped lines", () => {
  const values = { A: "1", B: "2", ON: "on", OFF: "off" };
  const expected = "a 1\non 2\nend $host\n";
  assert.equal(renderTemplate(template, values), expected);
  assert.deepEqual(awk(template, values), { status: 0, stdout: expected, stderr: "" });
  const all = { ...values, OFF: "on", C: "3" };
  assert.equal(renderTemplate(template, all), "a 1\non 2\noff 3\nend $host\n");
  assert.equal(awk(template, all).stdout, "a 1\non 2\noff 3\nend $host\n");
});

test("both renderers refuse the same mistakes", () => {
  const mistakes: [string, string, Record<string, string>, RegExp][] = [
    ["a placeholder without a value", template, { B: "2", ON: "on", OFF: "off" }, /no value for \{\{A\}\}/],
    ["a section without a value", template, { A: "1", B: "2", ON: "on" }, /no value for \{\{#OFF\}\}/],
    ["a value the template does not have", template, { A: "1", B: "2", ON: "on", OFF: "off", D: "4" }, /\{\{D\}\} not in the template/],
    ["a section value other than on/off", template, { A: "1", B: "2", ON: "yes", OFF: "off" }, /\{\{#ON\}\} must be on or off, not "yes"/],
    ["a section never closed", "#{{#X}}\nx\n", { X: "on" }, /\{\{#X\}\} is never closed/],
    ["a close without an open", "x\n#{{/X}}\n", {}, /\{\{\/X\}\} closes no open \{\{#X\}\}/],
  ];
  for (const [what, text, values, message] of mistakes) {
    assert.throws(() => renderTemplate(text, values), message, `renderTemplate: ${what}`);
    const r = awk(text, values);
    assert.equal(r.status, 2, `awk: ${what}`);
    assert.match(r.stderr, message, `awk: ${what}`);
    assert.equal(r.stdout, "", `awk: ${what} leaves no half-written config`);
  }
});
