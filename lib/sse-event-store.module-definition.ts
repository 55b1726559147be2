import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { SseEventStoreModuleOptions } from './interfaces/sse-event-store-options.interface';

export const {
  ConfigurableModuleClass: ConfigurableSseEventStoreModule,
  MODULE_OPTIONS_TOKEN: SSE_EVENT_STORE_MODULE_OPTIONS,
  OPTIONS_TYPE: SSE_EVENT_STORE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: SSE_EVENT_STORE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<SseEventStoreModuleOptions>()
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createSseEventStoreOptions')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
