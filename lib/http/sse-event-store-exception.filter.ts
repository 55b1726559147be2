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
 * Client-caused errors are logged at debug level without a stack; 503s once per error as a warning
 * line. Register it globally (`{ provide: APP_FILTER, useClass: SseEventStoreExceptionFilter }`),
 * on a controller (`@UseFilters(SseEventStoreExceptionFilter)`), or with
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
      const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
      this.logger.warn(`${error.message}${cause}`);
      const adapter = this.applicationRef ?? this.httpAdapterHost?.httpAdapter;
      adapter?.setHeader(host.switchToHttp().getResponse(), 'Retry-After', String(RETRY_AFTER_SECONDS));
    } else {
      this.logger.debug(`Answered ${status}: ${error.message}`);
    }
    super.catch(storeErrorHttpException(error), host);
  }
}
