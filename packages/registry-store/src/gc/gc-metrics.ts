/** Garbage collection's metrics (`@berth/metrics`), counted by whichever process runs GC (jobservice). */
import { counter, histogram } from "@berth/metrics";
import type { GcReport } from "./garbage-collector.js";

const runs = counter({ name: "berth_gc_runs_total", help: "Garbage collection runs finished, by result (success, error) and dry run", labelNames: ["result", "dry_run"] });
const duration = histogram({
  name: "berth_gc_run_duration_seconds",
  help: "Duration of garbage collection runs",
  buckets: [1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600, 7200],
});
const blobs = counter({ name: "berth_gc_deleted_blobs_total", help: "Blobs deleted by GC (rows with their content, and orphan blob files)" });
const bytes = counter({ name: "berth_gc_freed_bytes_total", help: "Bytes of blob content GC deleted" });
const manifests = counter({ name: "berth_gc_deleted_manifests_total", help: "Untagged manifests GC deleted" });
const links = counter({ name: "berth_gc_removed_links_total", help: "Repository links of unreferenced blobs GC removed" });

/** Records a finished run (a dry run deletes nothing, so only the run itself counts). */
export function countGcRun(result: "success" | "error", dryRun: boolean, seconds: number, report?: GcReport): void {
  runs.inc({ result, dry_run: String(dryRun) });
  duration.observe(seconds);
  if (report === undefined || dryRun) return;
  blobs.inc(report.blobsDeleted + report.orphanBlobFiles);
  bytes.inc(report.bytesFreed);
  manifests.inc(report.manifestsDeleted);
  links.inc(report.linksRemoved);
}
