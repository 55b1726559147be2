import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

/**
 * Registers an OpenTelemetry meter provider globally, read by a Prometheus exporter, and returns
 * the exporter for `GET /metrics` (MetricsModule). Call it before the Nest app is created: the
 * store takes its meter from the global provider when it is assembled, and the metrics API has no
 * proxy that would hand it a provider registered later.
 */
export function registerSampleMetrics(): PrometheusExporter {
  // No server of its own: the exporter answers on the sample's port, through MetricsController.
  const exporter = new PrometheusExporter({ preventServerStart: true });
  if (!metrics.setGlobalMeterProvider(new MeterProvider({ readers: [exporter] }))) {
    throw new Error('A global OpenTelemetry meter provider is already registered; the sample registers its own.');
  }
  return exporter;
}
