/**
 * One registry's HTTP transport: every request passes the endpoint's {@link RequestGate} (rate
 * and concurrency limits the caller enforces), carries the credentials the registry's challenge
 * asked for (Bearer tokens per scope set from the realm, or Basic), answers a `401` once with a
 * fresh token (long copies outlive short-lived tokens), waits out `429` (and `503` with
 * `Retry-After`) as told, and follows redirects of GET/HEAD without leaking credentials to another
 * origin. Bodies are given as buffers or as factories of streams, so a request can be sent again
 * after a 401 or a 429 without holding a blob in memory.
 */
import type { Readable } from "node:stream";
import { Agent, request, type Dispatcher } from "undici";
import { parseChallenge, parseRetryAfter, type Challenge } from "./headers.js";
import { DistributionClientError, RegistryAuthError, RegistryHttpError, RegistryThrottledError, RegistryUnreachableError } from "./errors.js";

/** Username and password (or token) for a registry. */
export interface Credential {
  username: string;
  password: string;
}

/**
 * Admission of one request to the registry (rate and concurrency limits). `acquire` resolves with
 * the function that gives the slot back, called once the response (its body included) is done.
 */
export interface RequestGate {
  acquire(signal?: AbortSignal): Promise<() => void>;
}

/** The registry asked the client to slow down. */
export interface ThrottleEvent {
  method: string;
  url: string;
  status: number;
  /** How long the client waits before sending the request again. */
  waitMs: number;
  /** How many times this request was throttled so far (1 for the first). */
  attempt: number;
}

export interface TransportOptions {
  /** The registry's base URL (`https://registry.example`); paths are resolved against it. */
  url: string;
  credential?: Credential | undefined;
  /** Accept any TLS certificate. */
  insecure?: boolean | undefined;
  /** A PEM CA bundle to verify the registry's certificate with instead of the system's. */
  caCertificate?: string | undefined;
  gate?: RequestGate | undefined;
  userAgent?: string | undefined;
  /** Longest single wait a `Retry-After` may ask for (default 60 s; longer answers are capped). */
  maxRetryAfterMs?: number | undefined;
  /** Give up a request after it was throttled this many times (default 30). */
  maxThrottledAttempts?: number | undefined;
  onThrottle?: ((event: ThrottleEvent) => void) | undefined;
  /** Waiting for response headers (default 5 min: a registry may verify a large blob before answering). */
  headersTimeoutMs?: number | undefined;
  /** Longest silence within a response body (default 2 min). */
  bodyTimeoutMs?: number | undefined;
  /** An undici dispatcher to share connections (default: one of the transport's own). */
  dispatcher?: Dispatcher | undefined;
  /**
   * Where the learnt challenge and the tokens are kept: share one between the clients of one
   * registry (with the same credentials) so each token is fetched once (default: the transport's own).
   */
  authCache?: AuthCache | undefined;
}

/** A registry's challenge and the tokens fetched for it, per scope set (shareable between transports). */
export class AuthCache {
  challenge: Challenge | undefined;
  readonly tokens = new Map<string, { header: string; expiresAt: number }>();
  readonly fetching = new Map<string, Promise<{ header: string; expiresAt: number }>>();
}

/** A request body that can be produced again: bytes, or a factory of a fresh stream. */
export type RequestBody = Buffer | (() => Readable | Promise<Readable>);

export interface SendOptions {
  method: "GET" | "HEAD" | "PUT" | "POST" | "PATCH" | "DELETE";
  /** A path (with query) on the registry, or an absolute URL on it (upload locations). */
  path: string;
  /** Token scopes the request needs (`repository:<name>:pull,push`). */
  scopes: readonly string[];
  headers?: Record<string, string> | undefined;
  body?: RequestBody | undefined;
  /** Statuses that are success (others throw). */
  expect: readonly number[];
  signal?: AbortSignal | undefined;
  /** Follow redirects (GET/HEAD of blobs). */
  follow?: boolean | undefined;
  /** Use Basic credentials regardless of the challenge (Harbor's REST API). */
  basic?: boolean | undefined;
}

export interface BufferedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  url: string;
}

export interface StreamedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
  url: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Error bodies are read up to this size for their OCI code and message. */
const ERROR_BODY_LIMIT = 64 * 1024;
/** Buffered (non-blob) responses are refused beyond this size. */
const BUFFER_LIMIT = 16 * 1024 * 1024;

interface CachedToken {
  header: string;
  expiresAt: number;
}

export class Transport {
  readonly base: URL;
  readonly #o: TransportOptions;
  readonly #dispatcher: Dispatcher;
  readonly #ownDispatcher: boolean;
  readonly #auth: AuthCache;

  constructor(options: TransportOptions) {
    this.base = new URL(options.url.replace(/\/+$/, "") + "/");
    this.#o = options;
    this.#ownDispatcher = options.dispatcher === undefined;
    this.#dispatcher = options.dispatcher ?? createDispatcher(options);
    this.#auth = options.authCache ?? new AuthCache();
  }

  /** The credentials given (undefined: anonymous). */
  get credential(): Credential | undefined {
    return this.#o.credential;
  }

  /** The challenge learnt from the registry (undefined until it asked for credentials). */
  get challenge(): Challenge | undefined {
    return this.#auth.challenge;
  }

  /** Closes the connections (when the transport made its own dispatcher). */
  async close(): Promise<void> {
    if (this.#ownDispatcher) await this.#dispatcher.close();
  }

  resolve(path: string): URL {
    return new URL(path.startsWith("/") ? path.slice(1) : path, this.base);
  }

  /** Sends a request and reads its whole body (small answers: manifests, lists, tokens). */
  async send(o: SendOptions): Promise<BufferedResponse> {
    const res = await this.stream(o);
    return { status: res.status, headers: res.headers, url: res.url, body: await readAll(res.body, BUFFER_LIMIT, `${o.method} ${res.url}`) };
  }

  /** Sends a request; the body streams (the gate's slot is given back when it ends or fails). */
  async stream(o: SendOptions): Promise<StreamedResponse> {
    let throttled = 0;
    let reauthenticated = false;
    let url = this.resolve(o.path);
    let redirects = 0;
    for (;;) {
      o.signal?.throwIfAborted();
      const release = this.#o.gate ? await this.#o.gate.acquire(o.signal) : () => undefined;
      let res: Dispatcher.ResponseData;
      try {
        const sameOrigin = url.origin === this.base.origin;
        const authorization = sameOrigin ? await this.#authorization(o.scopes, o.basic === true, o.signal) : undefined;
        const body = typeof o.body === "function" ? await o.body() : o.body;
        res = await request(url, {
          method: o.method,
          dispatcher: this.#dispatcher,
          headers: {
            "user-agent": this.#o.userAgent ?? "berth-distribution-client",
            ...o.headers,
            ...(authorization ? { authorization } : {}),
          },
          body: body ?? null,
          signal: o.signal ?? null,
          headersTimeout: this.#o.headersTimeoutMs ?? 300_000,
          bodyTimeout: this.#o.bodyTimeoutMs ?? 120_000,
        });
      } catch (err) {
        release();
        throw this.#networkError(err, o, url);
      }
      const status = res.statusCode;
      const retryAfter = parseRetryAfter(res.headers["retry-after"]);
      if (status === 429 || (status === 503 && retryAfter !== undefined)) {
        await res.body.dump().catch(() => undefined);
        release();
        throttled++;
        if (throttled > (this.#o.maxThrottledAttempts ?? 30)) throw new RegistryThrottledError(`${o.method} ${url} was throttled ${throttled - 1} times (last: ${status}); giving up`);
        const waitMs = Math.min(retryAfter ?? Math.min(1000 * 2 ** (throttled - 1), 30_000), this.#o.maxRetryAfterMs ?? 60_000);
        this.#o.onThrottle?.({ method: o.method, url: redact(url), status, waitMs, attempt: throttled });
        await sleep(waitMs, o.signal);
        continue;
      }
      if (status === 401 && !o.expect.includes(401)) {
        const text = await readAll(res.body, ERROR_BODY_LIMIT, "").catch(() => Buffer.alloc(0));
        release();
        const challenge = parseChallenge(res.headers["www-authenticate"]);
        const sameOrigin = url.origin === this.base.origin;
        if (!reauthenticated && challenge && sameOrigin) {
          reauthenticated = true;
          this.#auth.challenge = challenge;
          this.#auth.tokens.delete(scopeKey(o.scopes));
          continue;
        }
        const detail = challenge?.scheme === "bearer" && challenge.error ? ` (${challenge.error}${challenge.scope ? `: ${challenge.scope}` : ""})` : "";
        throw new RegistryAuthError(`${o.method} ${redact(url)}: the registry refused the credentials${detail}${errorText(text)}`);
      }
      if (o.follow && REDIRECTS.has(status) && res.headers["location"]) {
        await res.body.dump().catch(() => undefined);
        release();
        if (++redirects > 5) throw new RegistryHttpError(o.method, redact(url), status, undefined, "too many redirects");
        url = new URL(String(res.headers["location"]), url);
        continue;
      }
      if (!o.expect.includes(status)) {
        const text = o.method === "HEAD" ? Buffer.alloc(0) : await readAll(res.body, ERROR_BODY_LIMIT, "").catch(() => Buffer.alloc(0));
        if (o.method === "HEAD") await res.body.dump().catch(() => undefined);
        release();
        const { code, message } = ociError(text);
        if (status === 403) throw new RegistryAuthError(`${o.method} ${redact(url)}: denied${message ? `: ${message}` : ""}`);
        throw new RegistryHttpError(o.method, redact(url), status, code, message);
      }
      let released = false;
      const once = () => {
        if (!released) {
          released = true;
          release();
        }
      };
      res.body.once("end", once);
      res.body.once("close", once);
      res.body.once("error", once);
      return { status, headers: res.headers, body: res.body, url: url.toString() };
    }
  }

  /** The Authorization header for `scopes` under the known challenge (none before one). */
  async #authorization(scopes: readonly string[], basic: boolean, signal: AbortSignal | undefined): Promise<string | undefined> {
    const cred = this.#o.credential;
    const auth = this.#auth;
    if (basic || auth.challenge?.scheme === "basic") return cred ? basicHeader(cred) : undefined;
    const challenge = auth.challenge;
    if (!challenge) return undefined;
    const key = scopeKey(scopes);
    const cached = auth.tokens.get(key);
    if (cached && cached.expiresAt > Date.now()) return cached.header;
    let pending = auth.fetching.get(key);
    if (!pending) {
      pending = this.#fetchToken(challenge, scopes, signal).finally(() => auth.fetching.delete(key));
      auth.fetching.set(key, pending);
    }
    const token = await pending;
    if (auth.tokens.size > 10_000) auth.tokens.clear();
    auth.tokens.set(key, token);
    return token.header;
  }

  async #fetchToken(challenge: Extract<Challenge, { scheme: "bearer" }>, scopes: readonly string[], signal: AbortSignal | undefined): Promise<CachedToken> {
    const url = new URL(challenge.realm, this.base);
    if (challenge.service) url.searchParams.set("service", challenge.service);
    for (const scope of scopes) url.searchParams.append("scope", scope);
    const cred = this.#o.credential;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method: "GET",
        dispatcher: this.#dispatcher,
        headers: { "user-agent": this.#o.userAgent ?? "berth-distribution-client", ...(cred ? { authorization: basicHeader(cred) } : {}) },
        signal: signal ?? null,
        headersTimeout: 60_000,
        bodyTimeout: 60_000,
      });
    } catch (err) {
      throw this.#networkError(err, { method: "GET", signal }, url);
    }
    const body = await readAll(res.body, 1024 * 1024, `token from ${url.origin}`);
    if (res.statusCode === 401 || res.statusCode === 403) throw new RegistryAuthError(`the token service ${url.origin}${url.pathname} refused the credentials (${res.statusCode})${errorText(body)}`);
    if (res.statusCode !== 200) throw new RegistryHttpError("GET", `${url.origin}${url.pathname}`, res.statusCode, ociError(body).code, ociError(body).message);
    let parsed: { token?: string; access_token?: string; expires_in?: number };
    try {
      parsed = JSON.parse(body.toString("utf8")) as typeof parsed;
    } catch {
      throw new RegistryAuthError(`the token service ${url.origin}${url.pathname} answered something that is not JSON`);
    }
    const token = parsed.token ?? parsed.access_token;
    if (!token) throw new RegistryAuthError(`the token service ${url.origin}${url.pathname} answered no token`);
    // Renew a little early; a token without expires_in lives 60 s (the spec's default).
    const lifetime = Math.max(10, (parsed.expires_in ?? 60) - 15) * 1000;
    return { header: `Bearer ${token}`, expiresAt: Date.now() + lifetime };
  }

  #networkError(err: unknown, o: { method: string; signal?: AbortSignal | undefined }, url: URL): Error {
    if (o.signal?.aborted) return o.signal.reason instanceof Error ? o.signal.reason : new DOMException("aborted", "AbortError");
    if (err instanceof DistributionClientError) return err;
    const e = err as Error & { code?: string };
    return new RegistryUnreachableError(`${o.method} ${redact(url)}: ${e.code ? `${e.code} ` : ""}${e.message}`, { cause: err });
  }
}

/**
 * A connection pool for one registry (TLS verified unless `insecure`, against `caCertificate` when
 * given); share it between clients of the same endpoint and close it when done.
 */
export function createDispatcher(options: { insecure?: boolean | undefined; caCertificate?: string | undefined }): Dispatcher {
  return new Agent({
    connections: 64,
    keepAliveTimeout: 10_000,
    connect: { rejectUnauthorized: !options.insecure, ...(options.caCertificate ? { ca: options.caCertificate } : {}) },
  });
}

export function basicHeader(cred: Credential): string {
  return `Basic ${Buffer.from(`${cred.username}:${cred.password}`, "utf8").toString("base64")}`;
}

function scopeKey(scopes: readonly string[]): string {
  return [...scopes].sort().join(" ");
}

/** The URL without its query (upload locations carry state; tokens never go there, but keep logs short). */
function redact(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** Reads a stream into a buffer, refusing more than `limit` bytes. */
export async function readAll(body: Readable, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw new RegistryHttpError("GET", what, 200, undefined, `answer larger than ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The first OCI error of a body (`{errors:[{code,message}]}`), or its text. */
function ociError(body: Buffer): { code: string | undefined; message: string } {
  const text = body.toString("utf8").slice(0, 2000).trim();
  try {
    const parsed = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const first = parsed.errors?.[0];
    if (first) return { code: first.code, message: first.message ?? "" };
  } catch {
    // not JSON
  }
  return { code: undefined, message: text.slice(0, 300) };
}

function errorText(body: Buffer): string {
  const { code, message } = ociError(body);
  return code || message ? `: ${[code, message].filter(Boolean).join(" ")}` : "";
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
