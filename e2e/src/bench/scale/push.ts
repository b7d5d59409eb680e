// The dataset, pushed through the front door with token auth as clients push: each artifact is a
// unique 1 KiB layer, a unique config and a manifest (HEAD, POST + PUT per blob, PUT manifest).
//   one repository    every artifact into <project>/one under tag t<i>; each pusher fetches its
//                     token once (clients cache tokens per repository)
//   new repositories  artifact i into <project>/r<i> under `latest`; a token per repository,
//                     fetched inside the timed section (docker fetches one per repository)
import { makeSmallImage, pushImage, Repo, type HttpClient } from "../../support/oci-client.js";
import { randomBytesOf } from "../workloads/common.js";

/** What the pushers need of a target: Berth's stack (ScaleStack) or the sink (SinkTarget), each behind its nginx. */
export interface PushTarget {
  readonly http: HttpClient;
  /** A fresh token from `/service/token` through the front door. */
  fetchToken(scope: string): Promise<Record<string, string>>;
  /** A client of one repository (with a token the target caches). */
  repo(name: string): Promise<Repo>;
}

export type PushShape = "one-repository" | "new-repositories";

export interface PushResult {
  shape: PushShape;
  artifacts: number;
  pushers: number;
  seconds: number;
  perSecond: number;
  /** Artifacts that needed a second try (a failed request is retried once, as clients do). */
  retried: number;
  errors: string[];
}

export const repositoryOf = (project: string, shape: PushShape, i: number) => (shape === "one-repository" ? `${project}/one` : `${project}/r${i}`);
export const tagOf = (shape: PushShape, i: number) => (shape === "one-repository" ? `t${i}` : "latest");

export async function pushArtifacts(
  stack: PushTarget,
  o: { shape: PushShape; project: string; from: number; count: number; pushers: number; label: string; log: (line: string) => void; signal: AbortSignal },
): Promise<PushResult> {
  let next = o.from;
  const end = o.from + o.count;
  let done = 0;
  let retried = 0;
  const errors: string[] = [];
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
  const progress = setInterval(() => o.log(`  ${o.label}: ${done} of ${o.count} (${(done / elapsed()).toFixed(1)}/s)`), 15_000);
  const pushOne = async (i: number, repo: Repo | undefined) => {
    const name = repositoryOf(o.project, o.shape, i);
    const r = repo ?? new Repo(stack.http, name, await stack.fetchToken(`repository:${name}:pull,push`));
    await pushImage(r, makeSmallImage([1024], randomBytesOf, `${o.label}-${i}`), tagOf(o.shape, i));
  };
  try {
    await Promise.all(
      Array.from({ length: o.pushers }, async () => {
        // One client: in one repository it keeps its token (refreshed by the stack's cache).
        for (;;) {
          if (o.signal.aborted || errors.length >= 20) return;
          const i = next++;
          if (i >= end) return;
          const repo = o.shape === "one-repository" ? await stack.repo(repositoryOf(o.project, o.shape, i)) : undefined;
          try {
            await pushOne(i, repo);
          } catch (first) {
            retried++;
            try {
              await pushOne(i, undefined);
            } catch (err) {
              errors.push(`artifact ${i}: ${(err as Error).message} (first try: ${(first as Error).message})`);
              continue;
            }
          }
          done++;
        }
      }),
    );
  } finally {
    clearInterval(progress);
  }
  const seconds = elapsed();
  return { shape: o.shape, artifacts: done, pushers: o.pushers, seconds: Math.round(seconds * 10) / 10, perSecond: Math.round((done / seconds) * 10) / 10, retried, errors };
}
