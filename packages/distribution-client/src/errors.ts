/** What a remote registry (or the way to it) did wrong, as the client reports it. */

/** Every error of this package. */
export abstract class DistributionClientError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The registry answered with an unexpected status; `code` is the first OCI error code of the body, when it had one. */
export class RegistryHttpError extends DistributionClientError {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly code: string | undefined,
    detail: string,
  ) {
    super(`${method} ${url} answered ${status}${code ? ` ${code}` : ""}${detail ? `: ${detail}` : ""}`);
  }
}

/** The registry (or its token service) refused the credentials, or granted too little. */
export class RegistryAuthError extends DistributionClientError {}

/** The registry could not be reached (connection refused, DNS, TLS, timeout). */
export class RegistryUnreachableError extends DistributionClientError {}

/** The registry kept answering 429 (or 503 with `Retry-After`) beyond the client's patience. */
export class RegistryThrottledError extends DistributionClientError {}

/** Content did not match its digest or declared size. */
export class ContentMismatchError extends DistributionClientError {}
