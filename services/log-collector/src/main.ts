/** Composition root: reads the environment, wires the store, the receiver and the HTTP app. */
import { loadConfigOrExit } from "@berth/config";
import { closeLogger, createLogger } from "@berth/logger";
import { listen, onShutdown } from "@berth/http";
import { loadConfig, type CollectorConfig } from "./config.js";
import { LogStore } from "./log-store.js";
import { LogQuery } from "./log-query.js";
import { SyslogReceiver } from "./syslog-receiver.js";
import { selfLogStream } from "./self-log.js";
import { createApp } from "./app.js";
import { startProcessMetrics } from "@berth/metrics";

const config: CollectorConfig = loadConfigOrExit("log-collector", () => loadConfig(process.env));

const problems: Array<[string, unknown]> = [];
let report: (message: string, err: unknown) => void = (message, err) => void problems.push([message, err]);

const store = new LogStore({
  dir: config.logDir,
  rotateSize: config.rotateSize,
  rotateInterval: config.rotateInterval,
  maxFiles: config.maxFiles,
  maxAgeDays: config.maxAgeDays,
  onProblem: (message, err) => report(message, err),
});
await store.init();

// Not `collectorUrl`: the collector writes its own lines to its files directly.
startProcessMetrics("log-collector");
const logger = createLogger({
  service: "log-collector",
  level: config.logLevel,
  stdout: selfLogStream(process.stdout, (entries) => store.append(entries)),
});
report = (message, err) => logger.warn(message, { module: "store", err });
for (const [message, err] of problems) report(message, err);

const query = new LogQuery(config.logDir, (service) => store.settled(service));

let syslog: SyslogReceiver | undefined;
if (config.syslogPort !== undefined) {
  syslog = new SyslogReceiver({
    // The HTTP listener's address: loopback with `npm start`, the container's network in compose.
    host: config.host,
    port: config.syslogPort,
    append: (entries) => store.append(entries),
    onProblem: (message, err) => logger.warn(message, { module: "syslog", err }),
  });
  await syslog.start();
}

const app = createApp({ logger, store, query, syslog, maxBodyBytes: config.maxBodyBytes });
const server = await listen(app, config.host, config.port);
logger.info(`log-collector listening on http://${config.host}:${config.port}`, {
  logDir: config.logDir,
  syslog: syslog ? `udp://${config.host}:${syslog.port}` : undefined,
});

onShutdown(logger, server, [
  () => syslog?.close(),
  () => closeLogger(logger),
  () => store.close(),
]);
