/**
 * `GET /debug/memory`: forces full garbage collections, then answers `process.memoryUsage()` —
 * the process's steady state, without the garbage that happens to be waiting for a collection.
 * For tests that bound a service's memory (e2e/registry-memory) and for operators chasing a leak.
 *
 * Off unless the service's config turns it on (`BERTH_DEBUG_MEMORY=1`): a full collection stops
 * the process for a moment, so it must not be reachable by clients. It is served on the service's
 * own (internal) port only; the nginx front door routes no `/debug/` path.
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Router } from "express";

/** Full collections, each after a turn of the event loop so finalizers release native memory. */
async function collectGarbage(gc: () => void, rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    gc();
    await nextTurn();
  }
}

/** The steady-state memory of this process, in bytes (see the module comment). */
export interface MemoryReport {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** The `/debug/memory` route (mount it only when enabled). */
export function memoryDebugRoutes(): Router {
  // `gc` without starting node with --expose-gc: the flag, then the function from a fresh context.
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const router = Router();
  router.get("/debug/memory", async (_req, res) => {
    await collectGarbage(gc);
    const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
    res.setHeader("Cache-Control", "no-store");
    res.json({ rss, heapTotal, heapUsed, external, arrayBuffers } satisfies MemoryReport);
  });
  return router;
}
