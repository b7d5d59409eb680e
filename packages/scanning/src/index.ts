/**
 * `@berth/scanning`: the contracts scanning shares across services (docs/scanning.md) — report
 * MIME types, severities, the Harbor report shapes, the scan report store, CVE allowlists, the
 * `prevent_vul` pull decision and a Pluggable Scanner API client. No Prisma: raw SQL over
 * `@berth/db/sql`'s executor, so the registry can use it.
 */
export * from "./mime-types.js";
export * from "./severity.js";
export * from "./report-types.js";
export * from "./scan-report-store.js";
export * from "./allowlist.js";
export * from "./pull-policy.js";
export * from "./scanner-client.js";
export * from "./scan-overview.js";
