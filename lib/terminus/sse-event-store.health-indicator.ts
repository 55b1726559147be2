import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { StoreBackendState } from '../assembly/store-backend-state';
import { SseInvalidInputError } from '../errors/sse-invalid-input.error';
import { SSE_EVENT_STORE_ASSEMBLY } from '../sse-event-store.constants';
import { isPositiveInteger, MAX_TIMER_DELAY } from '../sse-event-store-options';
import type { SseEventStoreHealthCheckOptions, SseEventStoreHealthDetails } from './sse-event-store-health.interface';

const DEFAULT_KEY = 'sseEventStore';
const DEFAULT_TIMEOUT_MS = 1_000;
/** A broadcast topic nothing is published on: subscribing to it opens the wake-ups' subscriber connection. */
const HEALTH_TOPIC = 'health-check';

/**
 * A `@nestjs/terminus` health indicator of the store that `SseEventStoreModule` provides: `up`
 * while the storage answers a probe within the timeout and readers are woken as the store was
 * set up to wake them; `degraded` (HTTP 200) while only Redis pub/sub is not connected, so
 * readers poll; `down` (HTTP 503) while the storage does not answer. Every result names the
 * storage path and the wake-up channel ({@link SseEventStoreHealthDetails}).
 *
 * List it, next to `TerminusModule`, in the providers of the module that imports
 * `SseEventStoreModule.forRoot()` (or of any module, when the store is registered with
 * `isGlobal: true`):
 *
 * ```ts
 * @Controller('health')
 * export class HealthController {
 *   constructor(private readonly health: HealthCheckService, private readonly store: SseEventStoreHealthIndicator) {}
 *
 *   @Get()
 *   @HealthCheck()
 *   check() {
 *     return this.health.check([() => this.store.isHealthy()]);
 *   }
 * }
 *
 * @Module({
 *   imports: [SseEventStoreModule.forRoot(), TerminusModule],
 *   controllers: [HealthController],
 *   providers: [SseEventStoreHealthIndicator],
 * })
 * export class AppModule {}
 * ```
 *
 * On Redis pub/sub it opens the wake-ups' subscriber connection at start (otherwise opened when
 * the first reader waits), so that the first check already tells whether pushes reach this
 * process; until that connection is made (normally within milliseconds of start) the check says
 * `degraded`. `@nestjs/terminus` 11 has no `degraded` status: there such a result is `up`, with
 * `readersWokenBy: 'polling'` and the message.
 */
@Injectable()
export class SseEventStoreHealthIndicator implements OnModuleInit, OnModuleDestroy {
  private stopListening?: () => void;

  /**
   * Nest injects the terminus helper and the store's parts; applications never construct it.
   * @internal
   */
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(SSE_EVENT_STORE_ASSEMBLY) private readonly assembled: StoreBackendState,
  ) {}

  /**
   * Probes the storage and reads the state of the wake-ups.
   *
   * @param key The indicator's name in the health check's result (default `sseEventStore`).
   * @param options The probe's timeout.
   * @throws SseInvalidInputError when `timeout` is not a positive integer number of milliseconds.
   */
  async isHealthy<const Key extends string = typeof DEFAULT_KEY>(
    key: Key = DEFAULT_KEY as Key,
    options?: SseEventStoreHealthCheckOptions,
  ): Promise<HealthIndicatorResult<Key>> {
    const timeout = options?.timeout ?? DEFAULT_TIMEOUT_MS;
    if (!isPositiveInteger(timeout) || timeout > MAX_TIMER_DELAY) {
      throw new SseInvalidInputError(
        `SseEventStoreHealthIndicator option 'timeout' must be a positive integer number of milliseconds (at most ${MAX_TIMER_DELAY}), got ${typeof timeout === 'string' ? `'${timeout}' (a string)` : String(timeout)}.`,
      );
    }
    const session = this.health.check(key);
    const failure = await this.probeFailure(timeout);
    // The wake-ups' state as it is once the probe has answered, which may have taken a while.
    const { topology, wakeup } = this.assembled;
    const pushesMissing = topology.wakeup === 'redis-pubsub' && !wakeup.reachesOtherProcesses;
    const details: SseEventStoreHealthDetails = {
      storage: topology.storage,
      wakeup: topology.wakeup,
      readersWokenBy: topology.wakeup === 'polling' || pushesMissing ? 'polling' : 'push',
    };
    if (failure !== undefined) return session.down({ ...details, message: failure });
    if (!pushesMissing) return session.up({ ...details });
    const degraded = { ...details, message: 'Redis pub/sub is not connected: readers poll for new events until it is.' };
    return typeof session.degraded === 'function' ? session.degraded(degraded) : session.up(degraded);
  }

  /** Opens the subscriber connection of Redis pub/sub wake-ups now rather than at the first reader. */
  onModuleInit(): void {
    this.stopListening = this.assembled.wakeup.onBroadcast(HEALTH_TOPIC, () => undefined);
  }

  /** Drops what {@link onModuleInit} subscribed; the store closes the connection itself. */
  onModuleDestroy(): void {
    this.stopListening?.();
  }

  /** Why the storage counts as down, or `undefined` when it answered within `timeout`. */
  private async probeFailure(timeout: number): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`The storage did not answer within ${timeout} ms.`), timeout);
    });
    const probed = this.assembled.storage.probe().then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    try {
      return await Promise.race([probed, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}
