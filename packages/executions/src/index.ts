/**
 * `@berth/executions`: executions and tasks (Harbor's model), the ONE store every background run
 * writes through (ARCHITECTURE.md, shared contracts) — webhook deliveries and replication today.
 * An execution is one run of a policy (or of a system job); its tasks are the units of work. One
 * status set (`Pending`, `Running`, `Stopped`, `Error`, `Success`); a stop request stops pending
 * tasks at once and tells running ones (they watch {@link ExecutionStore.stopRequested}) to abort;
 * every task keeps a readable log and counters. Core starts and stops runs through it; jobservice
 * runs them.
 */
export { ExecutionStore, EXECUTION_STATUSES, FINAL_STATUSES, type ExecutionStatus, type ExecutionStoreOptions, type NewExecution, type StatusCounts, type FinalEvent, type TaskClaim, type TaskLocks } from "./execution-store.js";
