import { createServer } from "node:net";
import { createSocket } from "node:dgram";
import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";

/** A free TCP port on 127.0.0.1, chosen as {@link pickPorts} does. */
export async function pickFreeTcpPort(): Promise<number> {
  return (await pickPorts(["port"], [])).port;
}

/** A free UDP port on 127.0.0.1, chosen as {@link pickPorts} does. */
export async function pickFreeUdpPort(): Promise<number> {
  return (await pickPorts([], ["port"])).port;
}

/** The kernel's ephemeral range for outgoing connections (Linux), else the IANA default. */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (low && high && low < high) return [low, high];
  } catch {
    // not Linux
  }
  return [49152, 65535];
}

function isFree(port: number, protocol: "tcp" | "udp", host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    if (protocol === "tcp") {
      const server = createServer();
      server.unref();
      server.once("error", () => resolve(false));
      server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
    } else {
      const socket = createSocket("udp4");
      socket.unref();
      socket.once("error", () => resolve(false));
      socket.bind({ address: host, port, exclusive: true }, () => socket.close(() => resolve(true)));
    }
  });
}

/** Ports this process handed out, with when: kept from {@link pickPorts} for ten minutes. */
const recentlyPicked = new Map<number, number>();
const RECENT_MS = 10 * 60_000;

/**
 * Picks distinct free ports, TCP for `tcp` names and UDP for `udp` names, at random from the
 * 10 000 ports just below the kernel's ephemeral range. Ports handed out by the kernel (bind to
 * port 0) are a poor choice: every outgoing connection (to PostgreSQL, Redis, between services)
 * also takes one from the ephemeral range, and one could take a picked port in the seconds before
 * its service binds it. Below the range, only another listener can collide, and the port was
 * checked free just now. A port this process picked in the last ten minutes is not picked again
 * (two stacks started side by side in one process would otherwise each find free the port the
 * other picked and has not bound yet).
 */
export async function pickPorts<T extends string, U extends string>(
  tcp: readonly T[],
  udp: readonly U[],
  avoid: readonly number[] = [],
): Promise<Record<T | U, number>> {
  const [low] = ephemeralRange();
  const top = low - 1;
  const bottom = Math.max(1025, top - 10_000);
  const now = Date.now();
  for (const [port, at] of recentlyPicked) if (now - at > RECENT_MS) recentlyPicked.delete(port);
  const taken = new Set<number>(avoid);
  const ports = {} as Record<T | U, number>;
  const pick = async (name: T | U, protocol: "tcp" | "udp") => {
    for (let attempt = 0; attempt < 1_000; attempt++) {
      const port = bottom + randomInt(top - bottom + 1);
      if (taken.has(port) || recentlyPicked.has(port)) continue;
      // Held while it is checked, so a pick running beside this one passes it by.
      recentlyPicked.set(port, Date.now());
      if (!(await isFree(port, protocol))) {
        recentlyPicked.delete(port);
        continue;
      }
      taken.add(port);
      ports[name] = port;
      return;
    }
    throw new Error(`no free ${protocol} port found between ${bottom} and ${top}`);
  };
  for (const name of tcp) await pick(name, "tcp");
  for (const name of udp) await pick(name, "udp");
  return ports;
}

/** Fails with a helpful message when something already listens on host:port. */
export function assertTcpPortFree(host: string, port: number, hint: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", (err: NodeJS.ErrnoException) => {
      reject(new Error(`cannot listen on ${host}:${port} (${err.code ?? err.message}); ${hint}`));
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}
