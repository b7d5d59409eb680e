/**
 * `@berth/replication`: replication's vocabulary, defined once — core validates policies with it,
 * jobservice's engine applies it: endpoint types and adapter capabilities, the policy filters
 * (doublestar through `@berth/selectors`), destination namespace rewriting.
 */
export * from "./vocabulary.js";
export * from "./filters.js";
export * from "./namespace.js";
export { replicationFinalEvent } from "./final-event.js";
