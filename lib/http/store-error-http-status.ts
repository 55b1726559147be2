import { HttpException, HttpStatus } from '@nestjs/common';
import { SseEventPersistenceError } from '../errors/sse-event-persistence.error';
import type { SseEventStoreError } from '../errors/sse-event-store.error';
import { SseHistoryExpiredError } from '../errors/sse-history-expired.error';
import { SseInvalidInputError } from '../errors/sse-invalid-input.error';
import { SseLimitExceededError } from '../errors/sse-limit-exceeded.error';
import { SseSessionDeletedError } from '../errors/sse-session-deleted.error';
import { SseStoreUnavailableError } from '../errors/sse-store-unavailable.error';
import { SseStreamClosedError } from '../errors/sse-stream-closed.error';
import { SseStreamWriterConflictError } from '../errors/sse-stream-writer-conflict.error';

/** The HTTP status that tells a client what to do about a store error. */
export function httpStatusOfStoreError(error: SseEventStoreError): HttpStatus {
  if (error instanceof SseInvalidInputError) return HttpStatus.BAD_REQUEST;
  // The position can never be resumed again: the client has to start over.
  if (error instanceof SseHistoryExpiredError || error instanceof SseSessionDeletedError) return HttpStatus.GONE;
  if (error instanceof SseStreamClosedError || error instanceof SseStreamWriterConflictError) return HttpStatus.CONFLICT;
  if (error instanceof SseLimitExceededError) return HttpStatus.TOO_MANY_REQUESTS;
  if (error instanceof SseStoreUnavailableError || error instanceof SseEventPersistenceError) return HttpStatus.SERVICE_UNAVAILABLE;
  // A configuration error, or one of an integration (MCP) that has its own answer: the server's fault here.
  return HttpStatus.INTERNAL_SERVER_ERROR;
}

/**
 * The error as the HTTP exception a client gets: Nest's usual body `{ statusCode, message, error }`
 * plus the error's stable `code`.
 */
export function storeErrorHttpException(error: SseEventStoreError): HttpException {
  const status = httpStatusOfStoreError(error);
  const body = { statusCode: status, message: error.message, error: httpStatusName(status), code: error.code };
  return new HttpException(body, status, { cause: error });
}

/** 'Service Unavailable' for 503. */
function httpStatusName(status: HttpStatus): string {
  return (HttpStatus[status] ?? 'Error')
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}
