/**
 * Java archives (`*.jar`, `*.war`, `*.ear`): each `META-INF/maven/<group>/<artifact>/pom.properties`
 * inside names one Maven artifact (`groupId`, `artifactId`, `version`). The archive is read from a
 * temporary file (zip directories sit at the end), one entry at a time.
 */
import type { Readable } from "node:stream";
import yauzl from "yauzl";
import type { FoundPackage } from "../packages.js";

export const isJavaArchive = (path: string) => /\.(jar|war|ear)$/i.test(path);

function properties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([^#!=:\s][^=:]*?)\s*[=:]\s*(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!.trim();
  }
  return out;
}

export async function readJavaArchive(file: string): Promise<FoundPackage[]> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.open(file, { lazyEntries: true, autoClose: true }, (err, z) => (err ? reject(err) : resolve(z!))));
  const out: FoundPackage[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on("error", reject);
    zip.on("end", resolve);
    zip.on("entry", (entry: yauzl.Entry) => {
      if (!/^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/.test(entry.fileName) || entry.uncompressedSize > 65_536) {
        zip.readEntry();
        return;
      }
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        (stream as Readable).on("data", (c: Buffer) => chunks.push(c));
        (stream as Readable).on("error", reject);
        (stream as Readable).on("end", () => {
          const p = properties(Buffer.concat(chunks).toString("utf8"));
          if (p["groupId"] && p["artifactId"] && p["version"]) out.push({ type: "maven", name: `${p["groupId"]}:${p["artifactId"]}`, version: p["version"], group: p["groupId"] });
          zip.readEntry();
        });
      });
    });
    zip.readEntry();
  });
  return out;
}
