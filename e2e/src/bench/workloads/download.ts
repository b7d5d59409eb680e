// Blob download: 4 parallel GETs of the same 64 MiB blob, twice; MiB/s over all bytes received.
// The blob is pushed once per target (not timed) and its digest checked on a first full GET.
import { sha256 } from "../../support/oci-client.js";
import type { TargetName } from "../targets.js";
import { MiB, randomBytesOf, seconds, type Workload } from "./common.js";

const BLOB_SIZE = 64 * MiB;
const PARALLEL = 4;
const REPEAT = 2;
const REPO = "bench/download";

const seeded = new Map<TargetName, string>();

export const download: Workload = {
  name: "download",
  metrics: [{ key: "download-mibps", label: `download 64 MiB, ${PARALLEL} parallel (MiB/s)`, unit: "MiB/s", higherIsBetter: true, target: 1 }],
  async run(target) {
    const repo = await target.repo(REPO);
    let digest = seeded.get(target.name);
    if (!digest) {
      const data = randomBytesOf(BLOB_SIZE);
      digest = sha256(data);
      await repo.pushBlobMonolithic(data, digest);
      const check = await repo.getBlob(digest, true);
      if (check.digest !== digest) throw new Error(`GET of the blob returned ${check.digest}, expected ${digest}`);
      seeded.set(target.name, digest);
    }
    let bytes = 0;
    const started = process.hrtime.bigint();
    for (let r = 0; r < REPEAT; r++) {
      const results = await Promise.all(Array.from({ length: PARALLEL }, () => repo.getBlob(digest)));
      for (const res of results) {
        if (res.bytes !== BLOB_SIZE) throw new Error(`GET returned ${res.bytes} bytes, expected ${BLOB_SIZE}`);
        bytes += res.bytes;
      }
    }
    return { "download-mibps": bytes / MiB / seconds(started) };
  },
};
