import { readFileSync } from "node:fs";
import { processGroupMembers } from "@berth/local-stack";
import { createServer } from "node:net";
import { createSocket } from "node:dgram";

/** PIDs of live processes whose process group is one of `groups` (children of our children). */
export const membersOfGroups = processGroupMembers;

/** True when the process exists (and is not a zombie). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** True when nothing is bound to 127.0.0.1:port (TCP or UDP): we can bind it ourselves. */
export function portIsFree(port: number, protocol: "tcp" | "udp" = "tcp"): Promise<boolean> {
  return new Promise((resolve) => {
    if (protocol === "udp") {
      const socket = createSocket("udp4");
      socket.once("error", () => resolve(false));
      socket.bind({ address: "127.0.0.1", port, exclusive: true }, () => socket.close(() => resolve(true)));
      return;
    }
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
