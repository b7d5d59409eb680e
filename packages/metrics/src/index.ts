/**
 * `@berth/metrics`: Prometheus metrics (prom-client) for every service. One registry per process
 * holds every metric; each module defines its own metrics next to the code that counts, through
 * the get-or-create constructors here (a module loaded by several apps in one process — tests —
 * gets the same metric back instead of a duplicate-registration error). Names start with
 * `berth_`; every series carries the service's name as the `service` label (set by
 * {@link startProcessMetrics}). Labels must stay bounded: route patterns, never paths, names of
 * repositories or users.
 *
 * Services serve the registry as `GET /metrics` on their own (internal) port: see
 * docs/operations.md, "Metrics".
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type CounterConfiguration, type GaugeConfiguration, type HistogramConfiguration } from "prom-client";

/** The process's registry. */
export const metricsRegistry = new Registry();

/** Request and job latency buckets (seconds): 1 ms … 60 s. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

let processMetricsFor: string | undefined;

/**
 * Labels every series with `service` and adds prom-client's process metrics (CPU, resident
 * memory, heap, event-loop lag, GC), prefixed `berth_`. Once per process (the first name wins).
 */
export function startProcessMetrics(service: string): void {
  if (processMetricsFor !== undefined) return;
  processMetricsFor = service;
  metricsRegistry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: metricsRegistry, prefix: "berth_" });
}

function existing<T>(name: string, kind: new (...args: never[]) => T): T | undefined {
  const found = metricsRegistry.getSingleMetric(name);
  if (found === undefined) return undefined;
  if (!(found instanceof kind)) throw new Error(`metric ${name} is already registered as another type`);
  return found;
}

/** The counter `name` (created on first use). */
export function counter<L extends string>(config: Omit<CounterConfiguration<L>, "registers">): Counter<L> {
  return existing<Counter<L>>(config.name, Counter) ?? new Counter<L>({ ...config, registers: [metricsRegistry] });
}

/** The gauge `name` (created on first use; `collect` runs at each scrape). */
export function gauge<L extends string>(config: Omit<GaugeConfiguration<L>, "registers">): Gauge<L> {
  return existing<Gauge<L>>(config.name, Gauge) ?? new Gauge<L>({ ...config, registers: [metricsRegistry] });
}

/** The histogram `name` (created on first use). */
export function histogram<L extends string>(config: Omit<HistogramConfiguration<L>, "registers">): Histogram<L> {
  return existing<Histogram<L>>(config.name, Histogram) ?? new Histogram<L>({ ...config, registers: [metricsRegistry] });
}

/** The text exposition of every metric, with its content type. */
export async function renderMetrics(): Promise<{ contentType: string; body: string }> {
  return { contentType: metricsRegistry.contentType, body: await metricsRegistry.metrics() };
}

/** The value of metric `name` at `labels` (0 before the first count), as a test reads it. */
export async function metricValue(name: string, labels: Record<string, string> = {}): Promise<number> {
  const values = (await metricsRegistry.getSingleMetric(name)?.get())?.values ?? [];
  return values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))?.value ?? 0;
}

export type { Counter, Gauge, Histogram };
