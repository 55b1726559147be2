import type { SseEventStoreModuleOptions } from '../interfaces/sse-event-store-options.interface';

/** Options of {@link SseEventStoreTestingModule.forRoot}: the store's options, and `isGlobal`. */
export interface SseEventStoreTestingModuleOptions extends SseEventStoreModuleOptions {
  /**
   * The cache to store events in. Defaults to a fresh in-memory cache for every testing module,
   * so tests never see each other's streams; the application's `CACHE_MANAGER` is not used.
   */
  cache?: SseEventStoreModuleOptions['cache'];
  /** Makes `SseEventStore` injectable in every module of the application, as with `SseEventStoreModule`. Default `false`. */
  isGlobal?: boolean;
}
