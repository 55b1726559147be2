/**
 * A health indicator for `@nestjs/terminus` (11 or 12, an optional peer dependency needed only
 * here): is the storage answering, and do wake-ups reach this process.
 * @module nestjs-sse-event-store/terminus
 */
export { SseEventStoreHealthIndicator } from './sse-event-store.health-indicator';
export type { SseEventStoreHealthCheckOptions, SseEventStoreHealthDetails } from './sse-event-store-health.interface';
export type { SseStoragePath, SseWakeupChannel } from '../assembly/store-topology';
