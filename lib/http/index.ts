export { ResumableSse } from './resumable-sse.decorator';
export { ResumableSseInterceptor } from './resumable-sse.interceptor';
export type { ResumableSseOptions } from './resumable-sse-options.interface';
export { SseEventStoreExceptionFilter } from './sse-event-store-exception.filter';
export { SseStreamFinishedException } from './sse-stream-finished.exception';
export { httpStatusOfStoreError } from './store-error-http-status';
