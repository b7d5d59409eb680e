/**
 * Core's domain errors: what went wrong, in the words of users, projects and policies — no HTTP.
 * Stores, services and routes throw these (and the packages' own domain errors); only
 * `http/wire-errors.ts` turns them into Harbor's `{"errors":[{"code","message"}]}` with a status.
 */

/** Every core domain error. */
export abstract class CoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The thing asked for does not exist (or the caller may not know that it does). */
export class NotFoundError extends CoreError {
  constructor(message = "not found") {
    super(message);
  }
}

/** The request is malformed or names something impossible (a wrong type, a bad name, a cron that never fires). */
export class InvalidInputError extends CoreError {}

/** It would clash with what exists (a second project of that name, a run already in progress). */
export class ConflictError extends CoreError {}

/** The state does not allow it now (a project that still holds repositories, an artifact an index lists). */
export class PreconditionFailedError extends CoreError {}

/** Nobody is logged in, or the credentials are wrong. */
export class UnauthenticatedError extends CoreError {
  constructor(message = "unauthorized") {
    super(message);
  }
}

/** The caller is known but may not do this. */
export class PermissionDeniedError extends CoreError {
  constructor(message = "forbidden") {
    super(message);
  }
}

/** Too many failed logins: the caller may try again after `retryAfterSeconds`. */
export class RateLimitedError extends CoreError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** Something that existed is gone for good (a used or expired webhook callback token). */
export class GoneError extends CoreError {}

/** A service core depends on (the log-collector) failed or answered wrongly. */
export class UpstreamError extends CoreError {}

/**
 * The identity provider (the LDAP server, the OIDC provider) could not be reached or did not
 * answer in time: the credentials could not be checked, which is not the caller's fault (503).
 */
export class IdentityProviderUnavailableError extends CoreError {
  constructor(
    message: string,
    readonly retryAfterSeconds = 10,
  ) {
    super(message);
  }
}
