import type { SseEventStreamMode } from '../interfaces/sse-event-stream-mode.enum';

/** An event a {@link RecordingSseEventStore} saw stored, with the id the store assigned. */
export interface RecordedSseEvent {
  sessionId: string;
  streamId: string;
  /** The id the store assigned; a reader emits the event under this id. */
  id: string;
  /** The `data` as it was passed to `write` (the same reference, not a copy). */
  data: unknown;
  /** The SSE `event:` field, when one was given. */
  type?: string;
  /** The SSE `retry:` field, when one was given. */
  retry?: number;
}

/** A stream as a {@link RecordingSseEventStore} saw it: its latest mode and whether its writer completed it. */
export interface RecordedSseStream {
  sessionId: string;
  streamId: string;
  /** The mode it was created with, or the latest one set on its writer. */
  mode: SseEventStreamMode;
  /** True once its latest writer completed (or was disposed); a new writer makes it false again. */
  completed: boolean;
}

/**
 * One thing the store did, in the order the store acknowledged it. Only operations that
 * succeeded are recorded: a rejected write, mode change or delete leaves no entry.
 */
export type RecordedSseActivity =
  | { kind: 'stream-created'; sessionId: string; streamId: string; mode: SseEventStreamMode }
  | { kind: 'event-written'; sessionId: string; streamId: string; event: RecordedSseEvent }
  | { kind: 'mode-changed'; sessionId: string; streamId: string; mode: SseEventStreamMode }
  | { kind: 'stream-completed'; sessionId: string; streamId: string }
  | { kind: 'session-deleted'; sessionId: string };
