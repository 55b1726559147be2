import type { StreamStorage } from '../storage/stream-storage.interface';
import type { StreamWakeup } from '../wakeup/stream-wakeup.interface';
import type { SseEventStoreTopology } from './store-topology';

/**
 * What an assembled store runs on, for whatever watches its health: the storage (to probe), the
 * wake-ups (their state) and what was chosen. Apart from the whole assembly so that the published
 * types of the health indicator do not reach the store's instruments, whose types need the
 * optional `@opentelemetry/api`.
 */
export interface StoreBackendState {
  readonly storage: StreamStorage;
  readonly wakeup: StreamWakeup;
  /** What was chosen, and why: for the start-up log and health details. */
  readonly topology: SseEventStoreTopology;
}
