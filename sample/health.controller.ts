import { Controller, Get } from '@nestjs/common';
import { HealthCheck, type HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { SseEventStoreHealthIndicator } from '../lib/terminus';

/**
 * `GET /health`: 200 while the store answers (`"status": "degraded"` while readers poll because
 * Redis pub/sub is down), 503 while it does not.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly store: SseEventStoreHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.store.isHealthy()]);
  }
}
