/**
 * `@berth/retention`: tag retention's vocabulary and evaluation, defined once — core validates
 * policies with it, jobservice's runs apply it (docs/retention.md).
 */
export * from "./rules.js";
export * from "./evaluate.js";
export { RETENTION_VENDOR_TYPE, retentionFinalEvent } from "./final-event.js";
