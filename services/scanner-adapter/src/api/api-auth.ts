/**
 * Who may call the adapter: a caller presenting the API key — as Harbor's registration sends it,
 * `Authorization: Bearer <key>`, `Authorization: Basic <base64 of anything:key>` or
 * `X-ScannerAdapter-API-Key: <key>`. Compared in constant time.
 */
import { timingSafeEqual, createHash } from "node:crypto";
import type { RequestHandler } from "express";
import { ScannerApiError } from "./api-errors.js";

const digest = (s: string) => createHash("sha256").update(s).digest();

function presented(headers: Record<string, string | string[] | undefined>): string | undefined {
  const key = headers["x-scanneradapter-api-key"];
  if (typeof key === "string") return key;
  const auth = headers["authorization"];
  if (typeof auth !== "string") return undefined;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(auth);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+(\S+)\s*$/i.exec(auth);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return colon >= 0 ? decoded.slice(colon + 1) : decoded;
  }
  return undefined;
}

export function requireApiKey(apiKey: string): RequestHandler {
  const expected = digest(apiKey);
  return (req, res, next) => {
    const key = presented(req.headers);
    if (key === undefined || !timingSafeEqual(digest(key), expected)) {
      res.setHeader("WWW-Authenticate", 'Bearer realm="berth-scanner-adapter"');
      throw new ScannerApiError(401, key === undefined ? "an API key is required" : "invalid API key");
    }
    next();
  };
}
