import { createSocket, type Socket } from "node:dgram";
import { once } from "node:events";
import type { LogEntry } from "./log-entry.js";
import { parseSyslogDatagram } from "./syslog-parser.js";

export interface SyslogReceiverOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** Where parsed entries go (`LogStore.append`). */
  append: (entries: LogEntry[]) => Promise<void>;
  onProblem?: (message: string, err: unknown) => void;
}

const MAX_BATCH = 1_000;

/**
 * Receives syslog datagrams over UDP — nginx's, stored as service `proxy`, and other programs'
 * (Docker's syslog logging driver), stored under their tag. Datagrams that arrive together are
 * written in one append.
 */
export class SyslogReceiver {
  private socket: Socket | undefined;
  private pending: LogEntry[] = [];
  private flushing: Promise<void> | undefined;
  private scheduled = false;
  /** Datagrams that were not syslog (no `<PRI>`). */
  ignored = 0;

  constructor(private readonly options: SyslogReceiverOptions) {}

  async start(): Promise<void> {
    const socket = createSocket({ type: "udp4", recvBufferSize: 4 * 1024 * 1024 });
    socket.on("message", (msg) => this.receive(msg));
    socket.on("error", (err) => this.options.onProblem?.("syslog socket error", err));
    socket.bind(this.options.port, this.options.host);
    await Promise.race([
      once(socket, "listening"),
      once(socket, "error").then(([err]) => {
        throw err;
      }),
    ]);
    this.socket = socket;
  }

  /** The bound port (after `start`). */
  get port(): number {
    if (!this.socket) throw new Error("syslog receiver is not started");
    return this.socket.address().port;
  }

  /** Readiness: the socket is bound. */
  async check(): Promise<void> {
    if (!this.socket) throw new Error("syslog socket is not bound");
    this.socket.address(); // throws when the socket has been closed
  }

  private receive(msg: Buffer): void {
    const entry = parseSyslogDatagram(msg.toString("utf8"));
    if (!entry) {
      this.ignored++;
      return;
    }
    this.pending.push(entry);
    if (this.pending.length >= MAX_BATCH) void this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        void this.flush();
      });
    }
  }

  /** Writes what has been received; resolves once it is on disk. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.options.append(batch).catch((err: unknown) => {
      this.options.onProblem?.(`could not store ${batch.length} syslog lines`, err);
    });
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
    }
  }

  /** Stops receiving and writes what is pending. */
  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
    await this.flush();
  }
}
