import {
  type ArgumentsHost,
  BadRequestException,
  Catch,
  ConflictException,
  type ExceptionFilter,
  GoneException,
  type HttpException,
  InternalServerErrorException,
  Logger,
  ServiceUnavailableException,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  SseEventPersistenceError,
  SseEventStoreError,
  SseHistoryExpiredError,
  SseInvalidInputError,
  SseSessionDeletedError,
  SseStoreUnavailableError,
  SseStreamClosedError,
  SseStreamWriterConflictError,
} from '../lib';

/** Answers the store's errors with the HTTP status that tells the client what to do next. */
@Catch(SseEventStoreError)
export class SseEventStoreErrorFilter implements ExceptionFilter<SseEventStoreError> {
  private readonly logger = new Logger(SseEventStoreErrorFilter.name);

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: SseEventStoreError, host: ArgumentsHost): void {
    const exception = this.toHttpException(error);
    const { httpAdapter } = this.adapterHost;
    httpAdapter.reply(host.switchToHttp().getResponse(), exception.getResponse(), exception.getStatus());
  }

  private toHttpException(error: SseEventStoreError): HttpException {
    if (error instanceof SseInvalidInputError) return new BadRequestException(error.message);
    // The position can never be resumed again: the client has to start over.
    if (error instanceof SseHistoryExpiredError) return new GoneException(error.message);
    if (error instanceof SseSessionDeletedError) return new GoneException(error.message);
    if (error instanceof SseStreamClosedError || error instanceof SseStreamWriterConflictError) {
      return new ConflictException(error.message);
    }
    if (error instanceof SseStoreUnavailableError || error instanceof SseEventPersistenceError) {
      this.logger.warn(`${error.message} ${String(error.cause ?? '')}`.trim());
      return new ServiceUnavailableException('The event store is unavailable; retry later.');
    }
    this.logger.error(error);
    return new InternalServerErrorException();
  }
}
