// The execution/task store lives in @berth/executions (core starts and stops runs through it too);
// jobservice's modules keep importing it from here. Its task locks are jobservice's SessionLocks.
export { ExecutionStore, type NewExecution, type TaskClaim } from "@berth/executions";
