/**
 * The wire error codes of the registry API: the OCI Distribution spec's table (code-1 … code-14)
 * plus the extra codes CNCF Distribution registers and Berth's registry uses. Each entry has the
 * HTTP status and default message. Statuses follow Distribution's `errcode` registry except
 * BLOB_UPLOAD_INVALID (see its entry).
 *
 * This module is data only; the mapping from domain errors to codes lives in the registry service.
 *
 * @packageDocumentation
 */

/** One row of the error code table. */
export interface OciErrorCodeInfo {
  /** HTTP status the code is normally sent with. */
  readonly status: number;
  /** Default human-readable message. */
  readonly message: string;
  /** True when the code is in the OCI Distribution spec's table; false for Distribution extras. */
  readonly spec: boolean;
}

/** The error code table, keyed by wire code. */
export const OCI_ERROR_CODES = {
  // --- OCI Distribution spec, "Error Codes" ---
  /** code-1: blob (or manifest body by digest) unknown in this repository. */
  BLOB_UNKNOWN: { status: 404, message: "blob unknown to registry", spec: true },
  /**
   * code-2. Distribution registers 404 for this code; Berth uses 400 because it is sent for a
   * malformed request against an existing session (bad digest/size on close, bad state). An unknown
   * session is BLOB_UPLOAD_UNKNOWN (404).
   */
  BLOB_UPLOAD_INVALID: { status: 400, message: "blob upload invalid", spec: true },
  /** code-3: upload session unknown, cancelled or expired. */
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: "blob upload unknown to registry", spec: true },
  /** code-4: digest malformed, or content does not match it. */
  DIGEST_INVALID: { status: 400, message: "provided digest did not match uploaded content", spec: true },
  /** code-5: a pushed manifest references a blob or manifest the repository does not have. */
  MANIFEST_BLOB_UNKNOWN: {
    status: 400,
    message: "manifest references a manifest or blob unknown to registry",
    spec: true,
  },
  /** code-6: manifest failed validation. */
  MANIFEST_INVALID: { status: 400, message: "manifest invalid", spec: true },
  /** code-7: no manifest for this tag or digest. */
  MANIFEST_UNKNOWN: { status: 404, message: "manifest unknown to registry", spec: true },
  /** code-8: repository name outside the grammar or too long. */
  NAME_INVALID: { status: 400, message: "invalid repository name", spec: true },
  /** code-9: repository does not exist. */
  NAME_UNKNOWN: { status: 404, message: "repository name not known to registry", spec: true },
  /** code-10: Content-Length / size does not match the content. */
  SIZE_INVALID: { status: 400, message: "provided length did not match content length", spec: true },
  /** code-11: authentication required (send with `WWW-Authenticate`). */
  UNAUTHORIZED: { status: 401, message: "authentication required", spec: true },
  /** code-12: authenticated but not allowed. */
  DENIED: { status: 403, message: "requested access to the resource is denied", spec: true },
  /** code-13: operation disabled or not implemented (e.g. deletes off). 405, as in Distribution. */
  UNSUPPORTED: { status: 405, message: "the operation is unsupported", spec: true },
  /** code-14: rate limited (send with `Retry-After`). */
  TOOMANYREQUESTS: { status: 429, message: "too many requests", spec: true },

  // --- CNCF Distribution extras ---
  /** Chunk out of order / bad `Content-Range` on PATCH or closing PUT; the spec requires 416. */
  RANGE_INVALID: { status: 416, message: "invalid content range", spec: false },
  /** Legacy (spec: "MAY encounter"): invalid tag, or no tag/digest in a manifest PUT. */
  TAG_INVALID: { status: 400, message: "manifest tag did not match URI", spec: false },
  /** `n` of tags/list or `_catalog` is not a non-negative integer or is over the maximum. */
  PAGINATION_NUMBER_INVALID: { status: 400, message: "invalid number of results requested", spec: false },

  // --- Harbor extras ---
  /** A project policy refuses the request (`prevent_vul` on a manifest GET), with Harbor's code and 412. */
  PROJECTPOLICYVIOLATION: { status: 412, message: "the project's policy refuses this request", spec: false },

  // --- Berth extras ---
  /**
   * A request malformed in a way no other code names: text that cannot be stored (a NUL in a
   * query parameter), malformed HTTP, a request line too long. Sent by the services' edge guard
   * and by the nginx front door's own error pages; clients treat it as an unknown code with 400.
   */
  BAD_REQUEST: { status: 400, message: "malformed request", spec: false },
  /** Catch-all for unexpected failures; never carries a stack trace. */
  UNKNOWN: { status: 500, message: "unknown error", spec: false },
  /** Service temporarily unavailable (dependency down, read-only maintenance). */
  UNAVAILABLE: { status: 503, message: "service unavailable", spec: false },
} as const satisfies Readonly<Record<string, OciErrorCodeInfo>>;

/** A wire error code. */
export type OciErrorCode = keyof typeof OCI_ERROR_CODES;

/** True when `code` is in {@link OCI_ERROR_CODES}. */
export function isOciErrorCode(code: string): code is OciErrorCode {
  return Object.hasOwn(OCI_ERROR_CODES, code);
}

/** The HTTP status normally sent with `code`. */
export function ociErrorStatus(code: OciErrorCode): number {
  return OCI_ERROR_CODES[code].status;
}
