/**
 * HTTPS for `npm start`: the certificate nginx is to serve, settled before anything starts — the
 * operator's files checked (services/proxy/check-tls.sh, as the proxy image does), or the
 * self-signed one made or kept under `<data>/secrets/tls/` (@berth/tls).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ConfigError } from "@berth/config";
import { ensureSelfSignedTls, frontDoorHosts, type SelfSignedTls } from "@berth/tls";
import type { LocalTls } from "./config.js";

/** The script both deployments check an operator's certificate and key with. */
export function checkTlsScript(repoRoot: string): string {
  return join(repoRoot, "services", "proxy", "check-tls.sh");
}

export interface TlsFileCheck {
  /** Each names the variable and file (`BERTH_TLS_CERT (/etc/…/cert.pem): … expired on …`). */
  problems: string[];
  warnings: string[];
}

/**
 * Runs check-tls.sh on a certificate and key. `host` is one the certificate should name (the
 * external URL's); a certificate that does not is only a warning.
 */
export function checkTlsFiles(script: string, files: { certFile: string; keyFile: string }, host: string): TlsFileCheck {
  const r = spawnSync("sh", [script, files.certFile, files.keyFile, `BERTH_TLS_CERT (${files.certFile})`, `BERTH_TLS_KEY (${files.keyFile})`, host], { encoding: "utf8", timeout: 60_000 });
  const lines = (text: string | null) => (text ?? "").split("\n").filter((l) => l !== "");
  if (r.status !== 0 && r.status !== 2) throw new Error(`${script} failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr}`);
  return { problems: r.status === 2 ? lines(r.stderr) : [], warnings: lines(r.stdout).map((l) => l.replace(/^warning: /, "")) };
}

/** What nginx serves, and what to tell the operator about it. */
export interface FrontDoorCertificate {
  certFile: string;
  keyFile: string;
  /** Set when it is the generated one. */
  selfSigned?: SelfSignedTls;
  /** Worth a line in the terminal: what was made, what will soon stop working. */
  notes: string[];
}

/**
 * The certificate for `tls`: the operator's files, checked (a problem is a {@link ConfigError},
 * so the launcher stops with exit 2 before starting anything), or the generated one.
 */
export async function frontDoorCertificate(options: { tls: LocalTls; dataDir: string; externalUrl: string; repoRoot: string }): Promise<FrontDoorCertificate> {
  const { source } = options.tls;
  const hosts = frontDoorHosts(options.externalUrl);
  if (source.kind === "files") {
    const check = checkTlsFiles(checkTlsScript(options.repoRoot), source, hosts[0] ?? "");
    if (check.problems.length > 0) throw new ConfigError(check.problems);
    return { certFile: source.certFile, keyFile: source.keyFile, notes: check.warnings.map((w) => `warning: ${w}`) };
  }
  const selfSigned = await ensureSelfSignedTls({ dataDir: options.dataDir, hosts });
  return { certFile: selfSigned.certFile, keyFile: selfSigned.keyFile, selfSigned, notes: selfSigned.made.map((m) => `made ${m} in ${selfSigned.dir}`) };
}
