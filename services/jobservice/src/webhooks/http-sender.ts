/**
 * One webhook attempt over node:http(s): POST the exact body, a timeout for the whole attempt,
 * at most `maxRedirects` redirects (each hop re-checked against the address policy), TLS
 * verification off only for targets that ask for it, and, with `denyPrivate`, connections only to
 * addresses that passed the check.
 */
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { AddressRefusedError, guardedLookup, isPrivateAddress, parseWebhookUrl } from "@berth/webhooks";

export interface SendRequest {
  address: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  skipCertVerify: boolean;
  denyPrivate: boolean;
  maxRedirects?: number;
}

export interface SendResult {
  status: number;
  /** First bytes of the response body, for the task log. */
  snippet: string;
  finalUrl: string;
  redirects: number;
}

/** A failed attempt. `permanent` failures are not retried (bad scheme, refused address). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = "DeliveryError";
  }
}

function checkUrl(address: string, denyPrivate: boolean): URL {
  try {
    const url = parseWebhookUrl(address);
    const host = url.hostname.replace(/^\[|\]$/g, "");
    if (denyPrivate && net.isIP(host) && isPrivateAddress(host)) throw new AddressRefusedError(`${host} is a private or local address, which this instance does not call`, "private");
    return url;
  } catch (err) {
    if (err instanceof AddressRefusedError) throw new DeliveryError(err.message, true);
    throw err;
  }
}

function requestOnce(url: URL, req: SendRequest, signal: AbortSignal): Promise<{ status: number; location?: string; snippet: string }> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === "https:" ? https : http;
    const r = client.request(
      url,
      {
        method: "POST",
        headers: { ...req.headers, "Content-Length": Buffer.byteLength(req.body) },
        signal,
        lookup: guardedLookup(req.denyPrivate),
        agent: false,
        ...(url.protocol === "https:" && { rejectUnauthorized: !req.skipCertVerify }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          if (size < 2048) chunks.push(c);
          size += c.length;
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            ...(typeof res.headers.location === "string" && { location: res.headers.location }),
            snippet: Buffer.concat(chunks).subarray(0, 512).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    r.on("error", reject);
    r.end(req.body);
  });
}

/** Sends one attempt. Resolves for any HTTP answer that is not a redirect; rejects with {@link DeliveryError} otherwise. */
export async function sendWebhook(req: SendRequest): Promise<SendResult> {
  const maxRedirects = req.maxRedirects ?? 3;
  const signal = AbortSignal.timeout(req.timeoutMs);
  let url = checkUrl(req.address, req.denyPrivate);
  for (let redirects = 0; ; redirects++) {
    let answer;
    try {
      answer = await requestOnce(url, req, signal);
    } catch (err) {
      if (err instanceof AddressRefusedError) throw new DeliveryError(err.message, true);
      const e = err as Error & { code?: string; cause?: Error & { code?: string } };
      if (signal.aborted) throw new DeliveryError(`timed out after ${req.timeoutMs} ms`, false);
      if (e.cause instanceof AddressRefusedError) throw new DeliveryError(e.cause.message, true);
      throw new DeliveryError(`${e.code ?? e.name}: ${e.message}`, false);
    }
    if (answer.status >= 300 && answer.status < 400 && answer.location) {
      if (redirects >= maxRedirects) throw new DeliveryError(`too many redirects (more than ${maxRedirects}); last to ${answer.location}`, false, answer.status);
      url = checkUrl(new URL(answer.location, url).toString(), req.denyPrivate);
      continue;
    }
    return { status: answer.status, snippet: answer.snippet, finalUrl: url.toString(), redirects };
  }
}
