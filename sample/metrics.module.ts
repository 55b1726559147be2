import { type DynamicModule, Module } from '@nestjs/common';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MetricsController } from './metrics.controller';

@Module({})
export class MetricsModule {
  /** `GET /metrics`, answered by `exporter` (from registerSampleMetrics). */
  static register(exporter: PrometheusExporter): DynamicModule {
    return { module: MetricsModule, controllers: [MetricsController], providers: [{ provide: PrometheusExporter, useValue: exporter }] };
  }
}
