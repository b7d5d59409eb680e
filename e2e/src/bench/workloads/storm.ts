// Push storms, as docker pushes (HEAD, then POST+PUT per blob, then the manifest), 8 concurrent
// pushers. Two shapes, because they load a registry differently:
//   new repositories  50 images, each into its own new repository (many CI jobs pushing at once):
//                     2 unique random layers (16 KiB and 48 KiB) and a unique config per image
//   one repository    200 images into ONE repository (one busy repository, a tag each):
//                     a unique 4 KiB layer and a unique config per image
// Timed: from the first request to the last manifest's 201; images/s.
// Not timed: making the data and fetching the tokens (one per repository).
import { makeSmallImage, pushImage, type Repo } from "../../support/oci-client.js";
import { pool, randomBytesOf, seconds, type Context, type Workload } from "./common.js";
import type { Target } from "../targets.js";

const PUSHERS = 8;
const DEADLINE_MS = 120_000;

async function storm(target: Target, ctx: Context, repos: Repo[], images: ReturnType<typeof makeSmallImage>[], tags: (i: number) => string): Promise<number> {
  const started = process.hrtime.bigint();
  const done = await pool(images.length, PUSHERS, (i) => pushImage(repos[i % repos.length]!, images[i]!, tags(i)), {
    deadline: Date.now() + DEADLINE_MS,
    signal: ctx.signal,
  });
  const elapsed = seconds(started);
  if (done < images.length) throw new Error(`only ${done} of ${images.length} images pushed within ${DEADLINE_MS / 1000} s`);
  // Not timed: every image is pullable by its tag.
  await pool(images.length, PUSHERS, async (i) => {
    const repo = repos[i % repos.length]!;
    const res = await repo.getManifest(tags(i));
    if (res.headers["docker-content-digest"] !== images[i]!.manifestDigest) throw new Error(`${repo.name}:${tags(i)} has the wrong digest on ${target.label}`);
  });
  return images.length / elapsed;
}

const NEW_REPO_IMAGES = 50;

export const pushStorm: Workload = {
  name: "push storm",
  sink: true,
  metrics: [{ key: "push-storm-ips", label: `push storm, ${NEW_REPO_IMAGES} images into new repositories, ${PUSHERS} pushers (images/s)`, unit: "images/s", higherIsBetter: true, target: 2, decimals: 1 }],
  async run(target, round, ctx) {
    const images = Array.from({ length: NEW_REPO_IMAGES }, (_, i) => makeSmallImage([16 * 1024, 48 * 1024], randomBytesOf, `storm-${round}-${i}`));
    const repos: Repo[] = [];
    for (let i = 0; i < NEW_REPO_IMAGES; i++) repos.push(await target.repo(`bench/storm-r${round}-${i}`));
    return { "push-storm-ips": await storm(target, ctx, repos, images, () => "latest") };
  },
};

const ONE_REPO_IMAGES = 200;

export const pushStormOneRepository: Workload = {
  name: "push storm 1 repo",
  sink: true,
  metrics: [{ key: "push-storm-one-repo-ips", label: `push storm, ${ONE_REPO_IMAGES} images into one repository, ${PUSHERS} pushers (images/s)`, unit: "images/s", higherIsBetter: true, target: 2, decimals: 1 }],
  async run(target, round, ctx) {
    const images = Array.from({ length: ONE_REPO_IMAGES }, (_, i) => makeSmallImage([4 * 1024], randomBytesOf, `storm1-${round}-${i}`));
    const repo = await target.repo(`bench/storm-one-r${round}`);
    return { "push-storm-one-repo-ips": await storm(target, ctx, [repo], images, (i) => `t${i}`) };
  },
};
