import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OCI_ERROR_CODES, isOciErrorCode, ociErrorStatus, type OciErrorCode } from "./error-codes.js";
import { toOciErrorBody, toOciErrorsBody } from "./errors.js";
import { NameInvalidError } from "./domain-errors.js";

const SPEC_CODES = [
  "BLOB_UNKNOWN",
  "BLOB_UPLOAD_INVALID",
  "BLOB_UPLOAD_UNKNOWN",
  "DIGEST_INVALID",
  "MANIFEST_BLOB_UNKNOWN",
  "MANIFEST_INVALID",
  "MANIFEST_UNKNOWN",
  "NAME_INVALID",
  "NAME_UNKNOWN",
  "SIZE_INVALID",
  "UNAUTHORIZED",
  "DENIED",
  "UNSUPPORTED",
  "TOOMANYREQUESTS",
];

describe("error code table", () => {
  it("contains exactly the spec's 14 codes marked as spec codes", () => {
    const spec = Object.entries(OCI_ERROR_CODES).filter(([, info]) => info.spec).map(([code]) => code);
    assert.deepEqual(spec.sort(), [...SPEC_CODES].sort());
  });

  it("uses only uppercase letters and underscores in codes (spec requirement)", () => {
    for (const code of Object.keys(OCI_ERROR_CODES)) assert.match(code, /^[A-Z_]+$/);
  });

  it("maps codes to the statuses clients expect", () => {
    const expected: Partial<Record<OciErrorCode, number>> = {
      BLOB_UNKNOWN: 404,
      BLOB_UPLOAD_UNKNOWN: 404,
      DIGEST_INVALID: 400,
      MANIFEST_BLOB_UNKNOWN: 400,
      MANIFEST_INVALID: 400,
      MANIFEST_UNKNOWN: 404,
      NAME_INVALID: 400,
      NAME_UNKNOWN: 404,
      SIZE_INVALID: 400,
      UNAUTHORIZED: 401,
      DENIED: 403,
      UNSUPPORTED: 405,
      TOOMANYREQUESTS: 429,
      RANGE_INVALID: 416,
      UNKNOWN: 500,
    };
    for (const [code, status] of Object.entries(expected)) assert.equal(ociErrorStatus(code as OciErrorCode), status, code);
  });

  it("recognises codes", () => {
    assert.equal(isOciErrorCode("NAME_INVALID"), true);
    assert.equal(isOciErrorCode("toString"), false);
    assert.equal(isOciErrorCode("NOPE"), false);
  });
});

describe("toOciErrorBody", () => {
  it("fills the default message and includes detail", () => {
    assert.deepEqual(toOciErrorBody("MANIFEST_UNKNOWN", undefined, { tag: "latest" }), {
      errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown to registry", detail: { tag: "latest" } }],
    });
  });

  it("omits an undefined detail and keeps a custom message", () => {
    const body = toOciErrorBody("DENIED", "push to a read-only project");
    assert.deepEqual(body, { errors: [{ code: "DENIED", message: "push to a read-only project" }] });
    assert.equal(JSON.stringify(body), '{"errors":[{"code":"DENIED","message":"push to a read-only project"}]}');
  });

  it("carries a domain error's detail as JSON", () => {
    const err = new NameInvalidError("Bad", "must be lowercase");
    const body = toOciErrorBody("NAME_INVALID", err.message, err.detail);
    assert.deepEqual(JSON.parse(JSON.stringify(body)).errors[0].detail, { name: "Bad", reason: "must be lowercase" });
  });

  it("builds multi-error bodies", () => {
    const body = toOciErrorsBody([
      { code: "MANIFEST_BLOB_UNKNOWN", detail: { digest: "sha256:a" } },
      { code: "MANIFEST_BLOB_UNKNOWN", detail: { digest: "sha256:b" } },
    ]);
    assert.equal(body.errors.length, 2);
    assert.equal(body.errors[1]?.message, OCI_ERROR_CODES.MANIFEST_BLOB_UNKNOWN.message);
  });
});
