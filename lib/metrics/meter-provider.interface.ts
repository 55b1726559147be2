/**
 * An OpenTelemetry `MeterProvider`, as the `meterProvider` option takes it: the `MeterProvider` of
 * `@opentelemetry/sdk-metrics`, or `metrics.getMeterProvider()` of `@opentelemetry/api`. Only its
 * `getMeter` is used; it is declared here so that the library's types do not need
 * `@opentelemetry/api` installed.
 */
export interface SseMeterProvider {
  /** Returns the `Meter` named `name` (an OpenTelemetry `Meter`). */
  getMeter(name: string, version?: string): object;
}
