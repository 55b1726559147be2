import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Logger } from '@nestjs/common';
import fc from 'fast-check';
import { createEventIdFormat } from '../../lib/event-id/create-event-id-format';
import { EventIdCodec } from '../../lib/event-id/event-id.codec';
import { SignedEventIdCodec } from '../../lib/event-id/signed-event-id.codec';
import { resolveSseEventStoreOptions } from '../../lib/sse-event-store-options';
import { openStoreBackend, type StoreBackend } from '../support/store-backends';
import { settleLiveReaders, StoreModel, storeCommands, type StoreUnderTest } from './store-model';

Logger.overrideLogger(['error', 'warn']);

/** Small limits, so the commands reach them: the stream limit, and replays of several pages. */
const MAX_STREAMS_PER_SESSION = 2;
const REPLAY_PAGE_SIZE = 4;
const MAX_COMMANDS = 60;

interface Variant {
  backend: StoreBackend;
  signed: boolean;
  numRuns: number;
}

// Required on Redis (REDIS_URL, default 127.0.0.1:6379): these fail, never skip, without it.
const VARIANTS: Variant[] = [
  { backend: 'memory', signed: false, numRuns: 150 },
  { backend: 'memory', signed: true, numRuns: 60 },
  { backend: 'redis-generic', signed: false, numRuns: 25 },
  { backend: 'redis-native', signed: true, numRuns: 25 },
];

describe('the store against a model of it (random interleavings of every operation)', () => {
  for (const { backend, signed, numRuns } of VARIANTS) {
    const name = `${backend}, ${signed ? 'signed' : 'plain'} ids`;
    it(`${name}: ${numRuns} runs of up to ${MAX_COMMANDS} commands`, { timeout: 300_000 }, async () => {
      const cache = await openStoreBackend(backend);
      let commandsRun = 0;
      try {
        await fc.assert(
          fc.asyncProperty(storeCommands(MAX_COMMANDS), async (commands) => {
            const options = {
              maxStreamsPerSession: MAX_STREAMS_PER_SESSION,
              replayPageSize: REPLAY_PAGE_SIZE,
              ...(signed && { eventIdSecret: randomBytes(32) }),
            };
            const opened = cache.openStore(options);
            const foreign = signed ? new EventIdCodec(1024) : new SignedEventIdCodec([randomBytes(32)], 1024);
            const model = new StoreModel(createEventIdFormat(resolveSseEventStoreOptions(options)), foreign, MAX_STREAMS_PER_SESSION);
            const real: StoreUnderTest = { store: opened.store, writers: new Map(), liveReaders: [] };
            try {
              await fc.asyncModelRun(() => ({ model, real }), commands);
              await settleLiveReaders(model, real);
              commandsRun += model.commandsRun;
            } finally {
              for (const reader of real.liveReaders) reader.subscription.unsubscribe();
              await opened.close();
            }
          }),
          { numRuns, includeErrorInReport: true },
        );
      } finally {
        await cache.close();
      }
      console.log(`[model, ${name}] ${numRuns} runs, ${commandsRun} commands checked against the model`);
    });
  }
});
