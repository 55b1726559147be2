import { type ArgumentsHost, Catch, HttpStatus, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { SseEventStoreError } from '../errors/sse-event-store.error';
import { httpStatusOfStoreError, storeErrorHttpException } from './store-error-http-status';

/** `Retry-After` sent with a 503, in seconds. */
const RETRY_AFTER_SECONDS = 5;

/**
 * Answers the store's typed errors with the HTTP status that says what happened, instead of a 500:
 *
 * | error | status |
 * | --- | --- |
 * | `SseInvalidInputError` | 400 Bad Request |
 * | `SseStreamClosedError`, `SseStreamWriterConflictError` | 409 Conflict |
 * | `SseHistoryExpiredError`, `SseSessionDeletedError` | 410 Gone |
 * | `SseLimitExceededError` | 429 Too Many Requests |
 * | `SseStoreUnavailableError`, `SseEventPersistenceError` | 503 Service Unavailable, `Retry-After: 5` |
 * | anything else (`SseEventStoreConfigurationError`, ...) | 500, logged with its stack as Nest does |
 *
 * The body is Nest's usual `{ statusCode, message, error }` plus the error's stable `code`.
 * Answers other than 500 are logged at debug level without a stack: a backend outage behind the
 * 503s is logged once by the store, when it starts and when it ends. Register it globally
 * (`{ provide: APP_FILTER, useClass: SseEventStoreExceptionFilter }`), on a controller (`@UseFilters(SseEventStoreExceptionFilter)`), or with
 * `app.useGlobalFilters(new SseEventStoreExceptionFilter(app.get(HttpAdapterHost).httpAdapter))`.
 * Other exceptions go to Nest's default handling.
 */
@Catch(SseEventStoreError)
export class SseEventStoreExceptionFilter extends BaseExceptionFilter {
  private readonly logger = new Logger('SseEventStore');

  override catch(error: SseEventStoreError, host: ArgumentsHost): void {
    const status = httpStatusOfStoreError(error);
    if (host.getType() !== 'http' || status === HttpStatus.INTERNAL_SERVER_ERROR) {
      super.catch(error, host);
      return;
    }
    if (status === HttpStatus.SERVICE_UNAVAILABLE) {
      // The storage's outage log warns once per outage; each answer is only worth a debug line.
      const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
      this.logger.debug(`Answered 503: ${error.message}${cause}`);
      const adapter = this.applicationRef ?? this.httpAdapterHost?.httpAdapter;
      adapter?.setHeader(host.switchToHttp().getResponse(), 'Retry-After', String(RETRY_AFTER_SECONDS));
    } else {
      this.logger.debug(`Answered ${status}: ${error.message}`);
    }
    super.catch(storeErrorHttpException(error), host);
  }
}
