/**
 * A client of Harbor's Pluggable Scanner API (any adapter: Berth's own, Harbor's Trivy adapter, …),
 * used by core (ping, metadata) and jobservice (scan, poll the report).
 */
import { ERROR_MIME, METADATA_MIME, METADATA_MIME_V10, SCAN_REQUEST_MIME, SCAN_RESPONSE_MIME } from "./mime-types.js";
import type { ScannerInfo } from "./report-types.js";

/** How a registration authenticates to its adapter (Harbor's `auth` values). */
export const SCANNER_AUTH_TYPES = ["", "Basic", "Bearer", "X-ScannerAdapter-API-Key"] as const;
export type ScannerAuthType = (typeof SCANNER_AUTH_TYPES)[number];

/** Harbor's `ScannerAdapterMetadata`. */
export interface ScannerAdapterMetadata {
  scanner: ScannerInfo;
  capabilities: { type?: string; consumes_mime_types: string[]; produces_mime_types: string[]; additional_attributes?: Record<string, unknown> }[];
  properties?: Record<string, string>;
}

/** The body of `POST /api/v1/scan`. */
export interface ScanRequest {
  registry: { url: string; authorization?: string };
  artifact: { repository: string; digest: string; tag?: string; mime_type?: string };
  enabled_capabilities?: { type: "vulnerability" | "sbom"; produces_mime_types?: string[]; parameters?: { sbom_media_types?: string[] } | null }[];
}

/** The adapter failed, refused or could not be reached. */
export class ScannerAdapterError extends Error {
  override name = "ScannerAdapterError";
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export type ReportPoll = { kind: "pending"; refreshAfterSeconds: number } | { kind: "ready"; body: unknown };

export interface ScannerClientOptions {
  url: string;
  auth: ScannerAuthType;
  credential: string;
  /** Per-request timeout (ms). */
  timeoutMs?: number;
}

export class ScannerClient {
  readonly #base: string;
  constructor(private readonly options: ScannerClientOptions) {
    this.#base = options.url.replace(/\/+$/, "");
  }

  #headers(accept: string): Record<string, string> {
    const h: Record<string, string> = { accept };
    const { auth, credential } = this.options;
    if (auth === "Basic") h["authorization"] = `Basic ${/^[A-Za-z0-9+/=]+$/.test(credential) && !credential.includes(":") ? credential : Buffer.from(credential).toString("base64")}`;
    else if (auth === "Bearer") h["authorization"] = `Bearer ${credential}`;
    else if (auth === "X-ScannerAdapter-API-Key") h["x-scanneradapter-api-key"] = credential;
    return h;
  }

  async #fetch(path: string, init: RequestInit & { headers: Record<string, string> }): Promise<Response> {
    try {
      return await fetch(`${this.#base}${path}`, { ...init, redirect: "manual", signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) });
    } catch (err) {
      throw new ScannerAdapterError(`scanner adapter at ${this.#base} is unreachable: ${(err as Error).message}`);
    }
  }

  static async #errorOf(res: Response, what: string): Promise<ScannerAdapterError> {
    let detail = "";
    try {
      const body = (await res.json()) as { error?: { message?: string } };
      detail = body.error?.message ?? "";
    } catch {
      /* not JSON */
    }
    return new ScannerAdapterError(`${what}: the adapter answered ${res.status}${detail ? ` (${detail})` : ""}`, res.status);
  }

  /** `GET /api/v1/metadata`. */
  async metadata(): Promise<ScannerAdapterMetadata> {
    const res = await this.#fetch("/api/v1/metadata", { headers: this.#headers(`${METADATA_MIME}, ${METADATA_MIME_V10}, ${ERROR_MIME}`) });
    if (res.status !== 200) throw await ScannerClient.#errorOf(res, "metadata");
    const body = (await res.json()) as ScannerAdapterMetadata;
    if (!body?.scanner?.name || !Array.isArray(body.capabilities)) throw new ScannerAdapterError("metadata: not a ScannerAdapterMetadata document");
    return body;
  }

  /** `POST /api/v1/scan`: the scan request's id. */
  async scan(request: ScanRequest): Promise<string> {
    const res = await this.#fetch("/api/v1/scan", {
      method: "POST",
      headers: { ...this.#headers(`${SCAN_RESPONSE_MIME}, ${ERROR_MIME}`), "content-type": SCAN_REQUEST_MIME },
      body: JSON.stringify(request),
    });
    if (res.status !== 202) throw await ScannerClient.#errorOf(res, "scan request");
    const body = (await res.json()) as { id?: unknown };
    if (typeof body.id !== "string" || body.id === "") throw new ScannerAdapterError("scan request: no id in the adapter's answer");
    return body.id;
  }

  /** `GET /api/v1/scan/{id}/report` for `mime`: pending (302 + Refresh-After) or the report. */
  async report(id: string, mime: string, sbomMediaType?: string): Promise<ReportPoll> {
    const query = sbomMediaType ? `?sbom_media_type=${encodeURIComponent(sbomMediaType)}` : "";
    const res = await this.#fetch(`/api/v1/scan/${encodeURIComponent(id)}/report${query}`, { headers: this.#headers(`${mime}, ${ERROR_MIME}`) });
    if (res.status === 302) {
      await res.body?.cancel();
      const after = Number(res.headers.get("refresh-after"));
      return { kind: "pending", refreshAfterSeconds: Number.isFinite(after) && after > 0 ? Math.min(after, 60) : 5 };
    }
    if (res.status !== 200) throw await ScannerClient.#errorOf(res, "scan report");
    return { kind: "ready", body: await res.json() };
  }
}
