// Reads what a real OpenTelemetry SDK collected from the store's instruments.
import type { Attributes } from '@opentelemetry/api';
import { DataPointType, MeterProvider, type MetricData, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';

/** A reader that exports nothing: the test collects on demand. */
class OnDemandReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** A real SDK MeterProvider, and the figures it holds (cumulative since it was made). */
export class MetricsProbe {
  private readonly reader = new OnDemandReader();
  readonly provider = new MeterProvider({ readers: [this.reader] });

  /** Everything the instruments reported so far. */
  async collect(): Promise<CollectedMetrics> {
    const resourceMetrics = await this.collectResourceMetrics();
    return new CollectedMetrics(resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics));
  }

  /** The collection as the SDK hands it to an exporter. */
  async collectResourceMetrics(): Promise<ResourceMetrics> {
    const { resourceMetrics, errors } = await this.reader.collect();
    if (errors.length > 0) throw new AggregateError(errors, 'collecting metrics failed');
    return resourceMetrics;
  }

  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}

/** One collection's metrics, looked up by instrument name and attributes. */
export class CollectedMetrics {
  constructor(readonly metrics: readonly MetricData[]) {}

  /** The instrument; `undefined` when it reported nothing yet (the SDK leaves it out). */
  metric(name: string): MetricData | undefined {
    return this.metrics.find((candidate) => candidate.descriptor.name === name);
  }

  /** The value of a counter, up-down counter or gauge for exactly these attributes; 0 when nothing was reported for them. */
  value(name: string, attributes: Attributes = {}): number {
    const point = this.point(name, attributes);
    if (point === undefined) return 0;
    if (typeof point.value !== 'number') throw new Error(`${name} is not a sum or gauge`);
    return point.value;
  }

  /** How many values a histogram recorded (for these attributes), and their sum. */
  histogram(name: string, attributes: Attributes = {}): { count: number; sum: number; min?: number; max?: number } {
    const metric = this.metric(name);
    if (!metric) return { count: 0, sum: 0 };
    if (metric.dataPointType !== DataPointType.HISTOGRAM) throw new Error(`${name} is not a histogram`);
    const point = metric.dataPoints.find((candidate) => sameAttributes(candidate.attributes, attributes));
    return point
      ? { count: point.value.count, sum: point.value.sum ?? 0, min: point.value.min, max: point.value.max }
      : { count: 0, sum: 0 };
  }

  /** Every attribute value of every data point of every instrument. */
  attributeValues(): unknown[] {
    return this.metrics.flatMap((metric) =>
      (metric.dataPoints as { attributes: Attributes }[]).flatMap((point) => Object.values(point.attributes)),
    );
  }

  private point(name: string, attributes: Attributes): { value: unknown } | undefined {
    const metric = this.metric(name);
    return ((metric?.dataPoints ?? []) as { attributes: Attributes; value: unknown }[]).find((candidate) =>
      sameAttributes(candidate.attributes, attributes),
    );
  }
}

function sameAttributes(actual: Attributes, expected: Attributes): boolean {
  const keys = Object.keys(actual);
  return keys.length === Object.keys(expected).length && keys.every((key) => actual[key] === expected[key]);
}
