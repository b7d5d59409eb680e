/**
 * Harbor's `extra_attrs` of an image — `architecture`, `os`, `created`, `author`, `variant` from
 * its config blob. Read once, when the manifest is pushed, and kept in `manifests.config_attributes`
 * (an artifact list would otherwise read a hundred config blobs from storage per page); read
 * again from storage only for rows pushed before that column existed.
 */
import type { Digest } from "@berth/oci";
import type { StorageDriver } from "@berth/storage";
import { blobDataPath } from "./paths.js";

const IMAGE_CONFIG_TYPES = new Set(["application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json"]);
const KEYS = ["architecture", "os", "created", "author", "variant"] as const;
/** Configs larger than this are not read (an image config is a few KiB). */
const MAX_CONFIG_BYTES = 256 * 1024;

/** A manifest's config descriptor, as far as it matters here. */
export interface ConfigDescriptor {
  mediaType?: string | undefined;
  digest?: string | undefined;
  size?: number | undefined;
}

/** Whether `config` is an image config small enough to read. */
export function hasConfigAttributes(config: ConfigDescriptor | undefined): config is ConfigDescriptor & { digest: string } {
  return config?.digest !== undefined && (config.size ?? 0) <= MAX_CONFIG_BYTES && IMAGE_CONFIG_TYPES.has(config.mediaType ?? "");
}

/** The attributes of `config`'s blob, or `null` (not an image config, too large, unreadable). */
export async function readConfigAttributes(driver: StorageDriver, config: ConfigDescriptor | undefined): Promise<Record<string, unknown> | null> {
  if (!hasConfigAttributes(config)) return null;
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    // Bounded: a manifest may state a small size for a large blob (the push then fails its size check).
    for await (const chunk of await driver.reader(blobDataPath(config.digest as Digest), { offset: 0, length: MAX_CONFIG_BYTES + 1 })) {
      const b = Buffer.from(chunk as Uint8Array);
      size += b.byteLength;
      if (size > MAX_CONFIG_BYTES) return null;
      chunks.push(b);
    }
    const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
    const attrs: Record<string, unknown> = {};
    for (const key of KEYS) if (parsed[key] !== undefined) attrs[key] = parsed[key];
    return attrs;
  } catch {
    return null;
  }
}
