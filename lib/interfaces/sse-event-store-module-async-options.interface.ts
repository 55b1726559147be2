import type { ConfigurableModuleAsyncOptions, Type } from '@nestjs/common';
import type { SseEventStoreModuleOptions } from './sse-event-store-options.interface';

/**
 * A provider that builds the options of {@link SseEventStoreModule}: what
 * `SseEventStoreModule.forRootAsync({ useClass })` instantiates and `forRootAsync({ useExisting })`
 * looks up.
 *
 * ```ts
 * @Injectable()
 * export class SseStoreConfig implements SseEventStoreOptionsFactory {
 *   constructor(private readonly config: ConfigService) {}
 *
 *   createSseEventStoreOptions(): SseEventStoreModuleOptions {
 *     return { keyPrefix: this.config.get('SSE_PREFIX') };
 *   }
 * }
 * ```
 */
export interface SseEventStoreOptionsFactory {
  /** Called once, when the module is instantiated; may resolve asynchronously. */
  createSseEventStoreOptions(): SseEventStoreModuleOptions | Promise<SseEventStoreModuleOptions>;
}

/**
 * Options of `SseEventStoreModule.forRootAsync()`: the module options come from exactly one of
 * `useFactory` (called with the providers listed in `inject`), `useClass` or `useExisting`, with
 * the modules they depend on in `imports`.
 *
 * ```ts
 * SseEventStoreModule.forRootAsync({
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ keyPrefix: config.get('SSE_PREFIX') }),
 *   isGlobal: true,
 * });
 * ```
 */
export interface SseEventStoreModuleAsyncOptions
  extends ConfigurableModuleAsyncOptions<SseEventStoreModuleOptions, keyof SseEventStoreOptionsFactory> {
  /** A class the module instantiates (with its own dependencies injected) to build the options. */
  useClass?: Type<SseEventStoreOptionsFactory>;
  /** A provider the application already has (from `imports`) that builds the options; reused, not instantiated again. */
  useExisting?: Type<SseEventStoreOptionsFactory>;
  /** Registers the module globally: every module can inject `SseEventStore` without importing it. Default `false`. */
  isGlobal?: boolean;
}
