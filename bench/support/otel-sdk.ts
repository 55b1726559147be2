/**
 * With `BENCH_OTEL_SDK=1`, the benchmark measures the store with an OpenTelemetry SDK registered:
 * a global MeterProvider whose reader collects every instrument periodically, as an application
 * exporting its metrics would (the collections are then dropped). Stores built afterwards record
 * through it; without the variable they run on the API's no-op instruments. The bench's processes
 * (the runner and its workers) each call this first.
 */
import { metrics } from '@opentelemetry/api';
import { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';

/** How often the registered SDK collects, in ms: a scrape interval made short so collecting happens during every scenario. */
const COLLECT_INTERVAL_MS = 1_000;

/** Takes every collection and keeps none of it. */
const discardingExporter: PushMetricExporter = {
  export: (_metrics, resultCallback) => resultCallback({ code: 0 }), // ExportResultCode.SUCCESS
  forceFlush: async () => undefined,
  shutdown: async () => undefined,
  selectAggregationTemporality: () => AggregationTemporality.CUMULATIVE,
};

/** True when the environment asks for an SDK (see above). */
export function otelSdkRequested(): boolean {
  return process.env.BENCH_OTEL_SDK === '1';
}

/** Registers the SDK when {@link otelSdkRequested}; returns its shutdown, or `undefined` when none was registered. */
export function registerOtelSdkWhenRequested(): (() => Promise<void>) | undefined {
  if (!otelSdkRequested()) return undefined;
  const provider = new MeterProvider({
    readers: [new PeriodicExportingMetricReader({ exporter: discardingExporter, exportIntervalMillis: COLLECT_INTERVAL_MS })],
  });
  metrics.setGlobalMeterProvider(provider);
  return () => provider.shutdown();
}
