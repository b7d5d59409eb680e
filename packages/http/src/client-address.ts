/**
 * Which proxy hops a service believes about the client's address (`req.ip`). nginx is the edge:
 * it sets `X-Forwarded-For` to the one client address it determined itself (believing only the
 * proxies named by `BERTH_TRUSTED_PROXIES`, through its realip module), replacing whatever the
 * client sent. So a service trusts exactly one hop — its direct peer, and only when that peer is
 * on the loopback interface (nginx on the same host) — and takes the last `X-Forwarded-For`
 * entry, never one further left that a client could have written.
 */
import { isIP } from "node:net";

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped IPv6 forms. */
export function isLoopbackAddress(address: string): boolean {
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith("127.");
  return address === "::1";
}

/** Express' `trust proxy` function: the first hop only, and only from loopback. */
export function trustNginxHop(address: string, hop: number): boolean {
  return hop === 0 && isLoopbackAddress(address);
}
