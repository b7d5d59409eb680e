import { CollectorTransport } from "@berth/logger";
import type { Level } from "./child-output.js";

/**
 * Sends the lines Berth's services do not send themselves — PostgreSQL's, Redis's, nginx's
 * stderr, anything a service prints outside its logger, and the launcher's own status lines —
 * to the log-collector, stored under the process's name (`postgres`, `redis`, `launcher`, …).
 * Lines wait in a bounded buffer while the collector is not up yet or restarting.
 */
export class LogForwarder {
  private readonly transport: CollectorTransport;

  constructor(collectorUrl: string) {
    this.transport = new CollectorTransport({ url: collectorUrl });
  }

  send(service: string, level: Level, message: string): void {
    this.transport.log({ time: new Date().toISOString(), service, level, message }, () => {});
  }

  /** One attempt to deliver what is buffered (before the collector itself stops). */
  flush(): Promise<void> {
    return this.transport.flush();
  }
}
