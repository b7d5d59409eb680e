// Blob uploads of 64 MiB of fresh random data (unique per round and target):
//   monolithic  POST then PUT ?digest= with the whole blob
//   chunked     POST, 8 PATCHes of 8 MiB (Content-Range), PUT ?digest= without a body
// Timed: from the POST to the 201 of the closing PUT. Not timed: making the data and its digest.
import { sha256 } from "../../support/oci-client.js";
import type { Target } from "../targets.js";
import { MiB, randomBytesOf, seconds, type Workload } from "./common.js";

const BLOB_SIZE = 64 * MiB;
const CHUNK_SIZE = 8 * MiB;

let scratch: Buffer | undefined;

async function uploadOnce(target: Target, repoName: string, chunked: boolean): Promise<number> {
  const repo = await target.repo(repoName);
  scratch = randomBytesOf(BLOB_SIZE, scratch);
  const digest = sha256(scratch);
  const started = process.hrtime.bigint();
  if (chunked) await repo.pushBlobChunked(scratch, digest, CHUNK_SIZE);
  else await repo.pushBlobMonolithic(scratch, digest);
  const elapsed = seconds(started);
  // Not timed: the blob must be there, with the right size.
  const size = await repo.blobSize(digest);
  if (size !== BLOB_SIZE) throw new Error(`HEAD of the uploaded blob ${digest} says ${size ?? "not found"}, expected ${BLOB_SIZE} bytes`);
  return BLOB_SIZE / MiB / elapsed;
}

export const monolithicUpload: Workload = {
  name: "monolithic upload",
  sink: true,
  metrics: [{ key: "monolithic-upload-mibps", label: "monolithic upload 64 MiB (MiB/s)", unit: "MiB/s", higherIsBetter: true, target: 2 }],
  async run(target) {
    return { "monolithic-upload-mibps": await uploadOnce(target, "bench/upload-monolithic", false) };
  },
};

export const chunkedUpload: Workload = {
  name: "chunked upload",
  sink: true,
  metrics: [{ key: "chunked-upload-mibps", label: "chunked upload 64 MiB as 8×8 MiB (MiB/s)", unit: "MiB/s", higherIsBetter: true, target: 2 }],
  async run(target) {
    return { "chunked-upload-mibps": await uploadOnce(target, "bench/upload-chunked", true) };
  },
};
