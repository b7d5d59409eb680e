/**
 * `@berth/oci`: pure domain logic of the OCI Distribution and Image specs shared by the registry,
 * core and jobservice. No I/O, no HTTP; errors are domain errors, wire codes are a table.
 *
 * @packageDocumentation
 */
export * from "./media-types.js";
export * from "./domain-errors.js";
export * from "./digest.js";
export * from "./reference.js";
export { parseDescriptor, type Descriptor, type Platform } from "./descriptor.js";
export * from "./manifest.js";
export * from "./error-codes.js";
export * from "./errors.js";
export * from "./referrers.js";
export * from "./accept.js";
