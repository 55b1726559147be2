/** How readers of a stream behave once they have caught up with what is stored. */
export enum SseEventStreamMode {
  /** Readers keep waiting for new events until the writer completes the stream. */
  Streaming = 'streaming',
  /** Readers return what is stored now and end; the client reconnects later (guided by `retry`). */
  Polling = 'polling',
}
