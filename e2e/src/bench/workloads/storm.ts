// Push storm: 50 small images, each into its own new repository (as many CI jobs pushing at
// once), 8 concurrent pushers. Each image: 2 unique random layers (16 KiB and 48 KiB) and a
// unique config, pushed as docker does (HEAD, then POST+PUT per blob), then the manifest.
// Timed: from the first request to the last manifest's 201; images/s.
// Not timed: making the data and fetching the tokens (one per repository).
import { makeSmallImage, pushImage, type Repo } from "../../support/oci-client.js";
import { pool, randomBytesOf, seconds, type Workload } from "./common.js";

const IMAGES = 50;
const PUSHERS = 8;
const DEADLINE_MS = 120_000;

export const pushStorm: Workload = {
  name: "push storm",
  metrics: [{ key: "push-storm-ips", label: `push storm, ${IMAGES} images, ${PUSHERS} pushers (images/s)`, unit: "images/s", higherIsBetter: true, target: 2, decimals: 1 }],
  async run(target, round, ctx) {
    const images = Array.from({ length: IMAGES }, (_, i) => makeSmallImage([16 * 1024, 48 * 1024], randomBytesOf, `storm-${round}-${i}`));
    const repos: Repo[] = [];
    for (let i = 0; i < IMAGES; i++) repos.push(await target.repo(`bench/storm-r${round}-${i}`));
    const started = process.hrtime.bigint();
    const done = await pool(IMAGES, PUSHERS, (i) => pushImage(repos[i]!, images[i]!, "latest"), {
      deadline: Date.now() + DEADLINE_MS,
      signal: ctx.signal,
    });
    const elapsed = seconds(started);
    if (done < IMAGES) throw new Error(`only ${done} of ${IMAGES} images pushed within ${DEADLINE_MS / 1000} s`);
    // Not timed: every image is pullable by tag.
    await pool(IMAGES, PUSHERS, async (i) => {
      const res = await repos[i]!.getManifest("latest");
      if (res.headers["docker-content-digest"] !== images[i]!.manifestDigest) throw new Error(`bench/storm-r${round}-${i}:latest has the wrong digest`);
    });
    return { "push-storm-ips": IMAGES / elapsed };
  },
};
