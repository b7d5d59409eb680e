// The sink registry as a process of its own (so it does not share the benchmark client's event
// loop, and its memory and CPU can be sampled like a registry's): `node sink-main.js <port>`
// listens on 127.0.0.1:<port> until SIGTERM/SIGINT. See sink-registry.ts.
import { createSinkServer } from "./sink-registry.js";

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65_535) {
  process.stderr.write(`usage: node sink-main.js <port> (got ${process.argv[2] ?? "nothing"})\n`);
  process.exit(2);
}
const server = createSinkServer();
server.listen(port, "127.0.0.1", () => process.stdout.write(`sink registry listening on 127.0.0.1:${port}\n`));
for (const sig of ["SIGTERM", "SIGINT"] as const) {
  process.once(sig, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
