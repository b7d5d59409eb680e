/**
 * `npm run images [name …]`: builds Berth's images as `berth/<name>:<version>` (all by default).
 * BERTH_IMAGE_PREFIX changes `berth`, BERTH_VERSION the version (default: package.json's).
 */
import { fileURLToPath } from "node:url";
import { buildImages, ImageBuildError } from "./image-builder.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const started = Date.now();
try {
  const built = await buildImages({
    repoRoot,
    names: process.argv.length > 2 ? process.argv.slice(2) : undefined,
    version: process.env["BERTH_VERSION"] || undefined,
    prefix: process.env["BERTH_IMAGE_PREFIX"] || undefined,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`\nbuilt in ${Math.round((Date.now() - started) / 1000)} s:\n`);
  for (const image of built) process.stdout.write(`  ${image.tag.padEnd(36)} ${(image.sizeBytes / 1e6).toFixed(0).padStart(5)} MB\n`);
} catch (err) {
  process.stderr.write(`images: ${err instanceof ImageBuildError ? err.message : String((err as Error).stack ?? err)}\n`);
  process.exit(1);
}
