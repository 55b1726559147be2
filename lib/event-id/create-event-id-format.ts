import type { ResolvedSseEventStoreOptions } from '../interfaces/sse-event-store-options.interface';
import { EventIdCodec } from './event-id.codec';
import type { EventIdFormat } from './event-id-format.interface';
import { SignedEventIdCodec } from './signed-event-id.codec';

/** Signed ids when the options give a secret (see `eventIdSecret`), plain ids otherwise. */
export function createEventIdFormat(options: Pick<ResolvedSseEventStoreOptions, 'maxIdLength' | 'eventIdSecret'>): EventIdFormat {
  const secrets = options.eventIdSecret === undefined ? [] : [options.eventIdSecret].flat();
  return secrets.length > 0 ? new SignedEventIdCodec(secrets, options.maxIdLength) : new EventIdCodec(options.maxIdLength);
}
