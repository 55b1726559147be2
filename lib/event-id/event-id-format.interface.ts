import type { SseStreamAddress } from '../interfaces/sse-event.interface';

/** A parsed event id: the stream it belongs to and its sequence number in that stream. */
export interface EventPosition extends SseStreamAddress {
  sequence: number;
}

/** The ids of one stream's events, by sequence; built once per writer or reader. */
export type StreamEventIds = (sequence: number) => string;

/**
 * How event ids are written and read back. Two formats: plain ({@link EventIdCodec}, the
 * default) and signed ({@link SignedEventIdCodec}, with the `eventIdSecret` option).
 */
export interface EventIdFormat {
  /** The id function of a stream; the per-stream work (encoding, encryption) is done here, once. */
  forStream(address: SseStreamAddress): StreamEventIds;
  /** The id of one event (`forStream(address)(sequence)`). */
  format(address: SseStreamAddress, sequence: number): string;
  /**
   * The position an id names, or `undefined` for anything that is not an id of this format
   * (checked strictly, in time bounded by the configured limits). Never throws.
   */
  parse(id: unknown): EventPosition | undefined;
}
