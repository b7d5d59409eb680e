// skopeo with a private auth file, against a plain-HTTP loopback registry (TLS unverified), or
// over verified HTTPS trusting the CAs in a folder.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, type RunResult } from "./exec.js";
import { sha256 } from "./images.js";

/** `user:password`, or undefined for anonymous (`--no-creds`). */
export type Creds = string | undefined;

/** How containers/image clients (skopeo, podman) treat the registry's TLS. */
export interface RegistryTls {
  /** Verify its certificate; false (the default): plain HTTP, or HTTPS unverified. */
  verify: boolean;
  /** A folder of CA certificates (`*.crt`) to trust besides the system's. */
  certDir?: string;
}

/** `--tls-verify` and `--cert-dir` (with a prefix: `--src-`, `--dest-`) for `tls`. */
export function tlsArgs(tls: RegistryTls, prefix = ""): string[] {
  return [`--${prefix}tls-verify=${tls.verify}`, ...(tls.certDir ? [`--${prefix}cert-dir`, tls.certDir] : [])];
}

export class Skopeo {
  readonly dir = mkdtempSync(join(tmpdir(), "berth-e2e-skopeo-"));
  private readonly env = { ...process.env, REGISTRY_AUTH_FILE: join(this.dir, "auth.json") };

  constructor(readonly tls: RegistryTls = { verify: false }) {}

  run(args: string[]): Promise<RunResult> {
    return run("skopeo", args, { env: this.env });
  }

  /** `skopeo copy` between any transports; registry sides get the TLS arguments and creds. */
  copy(src: string, dst: string, options: { srcCreds?: Creds; destCreds?: Creds; all?: boolean; format?: "oci" | "v2s2"; preserveDigests?: boolean } = {}): Promise<RunResult> {
    const args = ["copy", "--insecure-policy", "--retry-times", "0"];
    if (src.startsWith("docker://")) args.push(...tlsArgs(this.tls, "src-"), ...(options.srcCreds ? ["--src-creds", options.srcCreds] : ["--src-no-creds"]));
    if (dst.startsWith("docker://")) args.push(...tlsArgs(this.tls, "dest-"), ...(options.destCreds ? ["--dest-creds", options.destCreds] : ["--dest-no-creds"]));
    if (options.all) args.push("--all");
    if (options.preserveDigests) args.push("--preserve-digests");
    if (options.format) args.push("--format", options.format);
    return this.run([...args, src, dst]);
  }

  private regArgs(creds: Creds): string[] {
    return [...tlsArgs(this.tls), ...(creds ? ["--creds", creds] : ["--no-creds"])];
  }

  /** The manifest bytes as the registry serves them (`inspect --raw`), with their sha256. */
  async inspectRaw(ref: string, creds: Creds): Promise<{ result: RunResult; digest: string | undefined; raw: string }> {
    const r = await run("skopeo", ["inspect", "--raw", ...this.regArgs(creds), ref], { env: this.env });
    return { result: r, raw: r.stdout, digest: r.code === 0 ? sha256(Buffer.from(r.stdout, "utf8")) : undefined };
  }

  inspect(ref: string, creds: Creds): Promise<RunResult> {
    return this.run(["inspect", ...this.regArgs(creds), ref]);
  }

  listTags(ref: string, creds: Creds): Promise<RunResult> {
    return this.run(["list-tags", ...this.regArgs(creds), ref]);
  }

  delete(ref: string, creds: Creds): Promise<RunResult> {
    return this.run(["delete", ...this.regArgs(creds), ref]);
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
