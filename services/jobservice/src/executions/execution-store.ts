// The execution/task store lives in @berth/executions (core starts and stops runs through it too);
// jobservice's modules keep importing it from here.
export { ExecutionStore, type NewExecution } from "@berth/executions";
