/** Whether an error is the upstream failing (down, slow, throttling, 5xx), and how, in words. */
import { RegistryAuthError, RegistryHttpError, RegistryThrottledError, RegistryUnreachableError } from "@berth/distribution-client";

/** A short reason when `err` is the upstream's failure, else undefined (a bug, a local problem). */
export function upstreamFailure(err: unknown): string | undefined {
  if (err instanceof RegistryThrottledError) return "it answered 429 Too Many Requests";
  if (err instanceof RegistryUnreachableError) return `unreachable (${err.message})`;
  if (err instanceof RegistryAuthError) return `it refused the endpoint's credentials (${err.message})`;
  if (err instanceof RegistryHttpError) return `it answered ${err.status}${err.code ? ` ${err.code}` : ""}`;
  const e = err as Error & { code?: string };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return "no answer in time";
  if (typeof e?.code === "string" && e.code.startsWith("UND_ERR")) return `the connection failed (${e.code})`;
  return undefined;
}
