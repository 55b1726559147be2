import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { SseEventStoreOptionsFactory } from './interfaces/sse-event-store-module-async-options.interface';
import type { SseEventStoreModuleOptions } from './interfaces/sse-event-store-options.interface';

export const { ConfigurableModuleClass: ConfigurableSseEventStoreModule, MODULE_OPTIONS_TOKEN: SSE_EVENT_STORE_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<SseEventStoreModuleOptions>()
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createSseEventStoreOptions' satisfies keyof SseEventStoreOptionsFactory)
    .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
    .build();
