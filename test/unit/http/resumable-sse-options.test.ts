import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Controller } from '@nestjs/common';
import { ResumableSse, type ResumableSseOptions, SseEventStoreConfigurationError } from '../../../lib';

/** Declares a controller with one `@ResumableSse()` route that has these options. */
function declareRoute(options: ResumableSseOptions): unknown {
  @Controller()
  class RouteController {
    @ResumableSse('events', options)
    events() {
      return { sessionId: 's', streamId: 't' };
    }
  }
  return RouteController;
}

describe('@ResumableSse() options', () => {
  it('takes the options that can work', () => {
    for (const options of [
      {},
      { keepAliveInterval: 0 },
      { keepAliveInterval: 2 ** 31 - 1 },
      { retryInterval: 1 },
      { retryJitter: 0 },
      { retryJitter: 1 },
      { lastEventIdQueryParameter: 'lastEventId' },
    ]) {
      assert.doesNotThrow(() => declareRoute(options), JSON.stringify(options));
    }
  });

  const refused: [Record<string, unknown>, RegExp][] = [
    [{ keepAliveInterval: -1 }, /'keepAliveInterval' must be an integer number of milliseconds from 0 \(none\) to 2147483647, got -1\./],
    [{ keepAliveInterval: 2 ** 31 }, /'keepAliveInterval' must be/],
    [{ keepAliveInterval: 1.5 }, /'keepAliveInterval' must be/],
    [{ retryInterval: 0 }, /'retryInterval' must be a positive integer number of milliseconds, got 0\./],
    [{ retryInterval: '3000' }, /'retryInterval' must be .*, got '3000' \(a string\)\./],
    [{ retryJitter: 1.5 }, /'retryJitter' must be a number from 0 to 1, got 1\.5\./],
    [{ retryJitter: Number.NaN }, /'retryJitter' must be/],
    [{ lastEventIdQueryParameter: '' }, /'lastEventIdQueryParameter' must be a non-empty string/],
  ];
  for (const [options, message] of refused) {
    it(`refuses ${JSON.stringify(options)} with SseEventStoreConfigurationError as the controller is declared`, () => {
      assert.throws(
        () => declareRoute(options as ResumableSseOptions),
        (error: unknown) => error instanceof SseEventStoreConfigurationError && message.test(error.message),
      );
    });
  }
});
