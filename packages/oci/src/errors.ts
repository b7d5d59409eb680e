/**
 * The JSON error body of the registry API:
 * `{"errors":[{"code": "...", "message": "...", "detail": ...}]}`.
 *
 * @packageDocumentation
 */
import { OCI_ERROR_CODES, type OciErrorCode } from "./error-codes.js";

/** One entry of an OCI error body. `detail` is omitted when undefined. */
export interface OciErrorEntry {
  readonly code: OciErrorCode;
  readonly message: string;
  readonly detail?: unknown;
}

/** The OCI error body. */
export interface OciErrorBody {
  readonly errors: readonly OciErrorEntry[];
}

/** Input for one error entry; `message` defaults to the table's message. */
export interface OciErrorInput {
  readonly code: OciErrorCode;
  readonly message?: string;
  readonly detail?: unknown;
}

/**
 * Builds an error body with one entry.
 *
 * @example toOciErrorBody("MANIFEST_UNKNOWN", undefined, { tag: "latest" })
 *          // { errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown to registry", detail: { tag: "latest" } }] }
 */
export function toOciErrorBody(code: OciErrorCode, message?: string, detail?: unknown): OciErrorBody {
  return toOciErrorsBody([{ code, message, detail }]);
}

/**
 * Builds an error body with several entries (e.g. one MANIFEST_BLOB_UNKNOWN per missing blob).
 * The HTTP status is the caller's choice; conventionally the first entry's.
 */
export function toOciErrorsBody(errors: readonly OciErrorInput[]): OciErrorBody {
  return {
    errors: errors.map(({ code, message, detail }) => ({
      code,
      message: message ?? OCI_ERROR_CODES[code].message,
      ...(detail !== undefined && { detail }),
    })),
  };
}
