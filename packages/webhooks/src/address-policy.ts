/**
 * Which webhook addresses Berth may call. Any http(s) URL by default; with `denyPrivate`,
 * addresses that resolve to loopback, private, link-local, CGNAT, multicast or reserved ranges
 * are refused (every resolved address is checked, and the delivery connects only to a checked
 * address, so DNS cannot swap in a private one between check and connect).
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { promisify } from "node:util";
import net from "node:net";

/** Why an address was refused. */
export class AddressRefusedError extends Error {
  constructor(
    message: string,
    readonly reason: "scheme" | "invalid" | "private" | "unresolvable",
  ) {
    super(message);
    this.name = "AddressRefusedError";
  }
}

const denied = new net.BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  denied.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
  ["64:ff9b::", 96],
] as const) {
  denied.addSubnet(network, prefix, "ipv6");
}

/** Whether `ip` is loopback, private, link-local or otherwise not a public unicast address. */
export function isPrivateAddress(ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return denied.check(mapped[1]!, "ipv4");
  const family = net.isIP(ip);
  if (family === 0) return true;
  return denied.check(ip, family === 4 ? "ipv4" : "ipv6");
}

/** Parses `address` and requires http or https. */
export function parseWebhookUrl(address: string): URL {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new AddressRefusedError(`${address} is not a valid URL`, "invalid");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new AddressRefusedError(`only http and https addresses are allowed, not ${url.protocol}`, "scheme");
  return url;
}

const lookupAll = promisify(dnsLookup) as unknown as (host: string, options: { all: true }) => Promise<LookupAddress[]>;

/** The addresses `host` resolves to (an IP literal resolves to itself). */
export async function resolveHost(host: string): Promise<string[]> {
  const bare = host.replace(/^\[|\]$/g, "");
  if (net.isIP(bare)) return [bare];
  try {
    return (await lookupAll(bare, { all: true })).map((a) => a.address);
  } catch (err) {
    throw new AddressRefusedError(`cannot resolve ${bare}: ${(err as Error).message}`, "unresolvable");
  }
}

/**
 * Checks `address` against the policy: the scheme always, the resolved addresses when
 * `denyPrivate`. Returns the parsed URL.
 */
export async function checkWebhookAddress(address: string, options: { denyPrivate: boolean }): Promise<URL> {
  const url = parseWebhookUrl(address);
  if (!options.denyPrivate) return url;
  for (const ip of await resolveHost(url.hostname)) {
    if (isPrivateAddress(ip)) throw new AddressRefusedError(`${url.hostname} resolves to ${ip}, a private or local address, which this instance does not call`, "private");
  }
  return url;
}

/**
 * A `lookup` for `http.request` that resolves like `dns.lookup` but refuses private addresses,
 * so the connection goes only to an address that passed the check.
 */
export function guardedLookup(denyPrivate: boolean): net.LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, "", 0);
      const list = addresses as unknown as LookupAddress[];
      const bad = denyPrivate ? list.find((a) => isPrivateAddress(a.address)) : undefined;
      if (bad) return callback(new AddressRefusedError(`${hostname} resolves to ${bad.address}, a private or local address, which this instance does not call`, "private"), "", 0);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      const first = list[0]!;
      callback(null, first.address, first.family);
    });
  };
}
