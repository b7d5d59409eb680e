import { execFile } from "node:child_process";
import { isIP } from "node:net";

/** Runs the `openssl` CLI; rejects with its stderr when it fails (or is not installed). */
export function openssl(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("openssl", args, { encoding: "utf8", timeout: 60_000 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const why = (err as NodeJS.ErrnoException).code === "ENOENT" ? "openssl is not installed (Debian: apt-get install openssl)" : stderr.trim() || err.message;
      reject(new Error(`openssl ${args[0] ?? ""} failed: ${why}`));
    });
  });
}

/** An `openssl req` configuration: a subject and the certificate's extensions (section `ext`). */
export function requestConfig(commonName: string, extensions: readonly string[]): string {
  return ["[req]", "distinguished_name = dn", "prompt = no", "x509_extensions = ext", "[dn]", "O = Berth", `CN = ${commonName}`, "[ext]", ...extensions, ""].join("\n");
}

/** `subjectAltName` entries for host names and IP addresses (an openssl config line). */
export function subjectAltName(hosts: readonly string[]): string {
  return `subjectAltName = ${hosts.map((h) => (isIP(h) !== 0 ? `IP:${h}` : `DNS:${h}`)).join(", ")}`;
}
