// The portal's one door to the server: `/api/v2.0` and `/c/`, with the session cookie (sent by the
// browser) and Harbor's CSRF header (read from every answer, sent back on writes). Errors carry
// the API's own `{errors:[{code,message}]}` text.

export const API = "/api/v2.0";
const CSRF_HEADER = "X-Harbor-CSRF-Token";
let csrfToken = "";

/** An answer that was not 2xx, with the server's message (or a plain one when it sent none). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  let code = `HTTP_${res.status}`;
  let message = res.statusText || `HTTP ${res.status}`;
  try {
    const body = (await res.json()) as { errors?: { code?: string; message?: string }[] };
    const first = body.errors?.[0];
    if (first?.code) code = first.code;
    if (first?.message) message = first.message;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(res.status, code, message);
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  body?: unknown;
  form?: Record<string, string>;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
}

function urlOf(path: string, query?: RequestOptions["query"]): string {
  const base = path.startsWith("/c/") ? path : `${API}${path}`;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== "") params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${base}?${qs}` : base;
}

/** One request; the raw `Response` of a 2xx answer, an {@link ApiError} otherwise. */
export async function request(path: string, options: RequestOptions = {}): Promise<Response> {
  const method = options.method ?? "GET";
  // X-Requested-With: core then answers a 401 without a Basic challenge (no browser password dialog).
  const headers: Record<string, string> = { Accept: "application/json", "X-Requested-With": "XMLHttpRequest", ...options.headers };
  let body: BodyInit | undefined;
  if (options.form) body = new URLSearchParams(options.form);
  else if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  if (method !== "GET" && csrfToken) headers[CSRF_HEADER] = csrfToken;
  const res = await fetch(urlOf(path, options.query), { method, headers, body, credentials: "same-origin" });
  const token = res.headers.get(CSRF_HEADER);
  if (token) csrfToken = token;
  if (!res.ok) throw await errorOf(res);
  return res;
}

/** A JSON answer (or `undefined` for an empty one). */
export async function json<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const res = await request(path, options);
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function text(path: string, options: RequestOptions = {}): Promise<string> {
  return (await request(path, options)).text();
}

/** A page of a list and the total `X-Total-Count` announces. */
export interface Page<T> {
  items: T[];
  total: number;
}

export async function page<T>(path: string, query: RequestOptions["query"]): Promise<Page<T>> {
  const res = await request(path, { query });
  const items = (await res.json()) as T[];
  const total = Number(res.headers.get("X-Total-Count") ?? items.length);
  return { items, total };
}

/** The id at the end of a `Location` header (`…/projects/7` → 7). */
export function locationId(res: Response): string {
  return (res.headers.get("Location") ?? "").split("/").pop() ?? "";
}

/** Path segment of a repository name without its project, as the API wants it (`a/b` → `a%252Fb`). */
export function repoSegment(name: string): string {
  return encodeURIComponent(encodeURIComponent(name));
}

export function artifactsPath(project: string, repository: string): string {
  return `/projects/${project}/repositories/${repoSegment(repository)}/artifacts`;
}

export function forgetCsrfToken(): void {
  csrfToken = "";
}
