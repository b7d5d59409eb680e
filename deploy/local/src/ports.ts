import { createServer } from "node:net";
import { createSocket } from "node:dgram";

/** Asks the kernel for a free TCP port on `host` (bind port 0, read it, close). */
export function pickFreeTcpPort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Asks the kernel for a free UDP port on `host`. */
export function pickFreeUdpPort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket("udp4");
    socket.unref();
    socket.once("error", reject);
    socket.bind({ address: host, port: 0, exclusive: true }, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/**
 * Picks distinct free ports, TCP for `tcp` names and UDP for `udp` names. A port is only free at
 * the moment it was picked; the processes bind them a few seconds later, which is good enough on
 * one machine (the kernel hands out ephemeral ports in sequence, so a collision needs a wrap-around).
 */
export async function pickPorts<T extends string, U extends string>(tcp: readonly T[], udp: readonly U[]): Promise<Record<T | U, number>> {
  const taken = new Set<number>();
  const ports = {} as Record<T | U, number>;
  const pick = async (name: T | U, fn: () => Promise<number>) => {
    for (;;) {
      const port = await fn();
      if (!taken.has(port)) {
        taken.add(port);
        ports[name] = port;
        return;
      }
    }
  };
  for (const name of tcp) await pick(name, () => pickFreeTcpPort());
  for (const name of udp) await pick(name, () => pickFreeUdpPort());
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
