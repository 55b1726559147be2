import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  httpStatusOfStoreError,
  SseEventPersistenceError,
  SseEventStoreConfigurationError,
  SseHistoryExpiredError,
  SseInvalidInputError,
  SseLimitExceededError,
  SseSessionDeletedError,
  SseStoreUnavailableError,
  SseStreamClosedError,
  SseStreamWriterConflictError,
} from '../../../lib';

describe('httpStatusOfStoreError', () => {
  it('answers what the client caused with a 4xx, an unavailable store with 503, the rest with 500', () => {
    const cases: [Error & { code: string }, number][] = [
      [new SseInvalidInputError('bad'), 400],
      [new SseStreamClosedError('s', 'x'), 409],
      [new SseStreamWriterConflictError('s', 'x'), 409],
      [new SseHistoryExpiredError('s', 'x', 3, 5), 410],
      [new SseSessionDeletedError('s'), 410],
      [SseLimitExceededError.streamsPerSession('s', 'x', 1), 429],
      [new SseStoreUnavailableError('down'), 503],
      [new SseEventPersistenceError('down'), 503],
      [new SseEventStoreConfigurationError('wrong'), 500],
    ];
    for (const [error, status] of cases) assert.equal(httpStatusOfStoreError(error as never), status, error.code);
  });
});
