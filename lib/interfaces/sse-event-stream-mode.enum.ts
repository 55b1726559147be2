import { SseInvalidInputError } from '../errors/sse-invalid-input.error';

/** How readers of a stream behave once they have caught up with what is stored. */
export enum SseEventStreamMode {
  /** Readers keep waiting for new events until the writer completes the stream. */
  Streaming = 'streaming',
  /** Readers return what is stored now and end; the client reconnects later (guided by `retry`). */
  Polling = 'polling',
}

/** Throws `SseInvalidInputError` for anything but a {@link SseEventStreamMode}. */
export function assertMode(mode: unknown): asserts mode is SseEventStreamMode {
  if (!Object.values<unknown>(SseEventStreamMode).includes(mode)) throw new SseInvalidInputError(`Unknown stream mode '${String(mode)}'.`);
}
