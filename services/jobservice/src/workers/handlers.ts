import type { JobData, JobName } from "@berth/queue";
import type { Job } from "@berth/queue";

/** Runs one job of name `N`. Throw `UnrecoverableError` for failures retrying cannot fix. */
export type Handler<N extends JobName> = (job: Job<JobData<N>, unknown, N>) => Promise<unknown>;

/** A handler for every job name: adding a job to `@berth/queue` without one does not compile. */
export type HandlerMap = { readonly [N in JobName]: Handler<N> };
