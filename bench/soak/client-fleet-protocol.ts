import type { LoopDelayWindow } from './loop-delay-probe';
import type { ReconnectPolicy, SoakClientRecord } from './soak-client';

/** One client a client process is to run. */
export interface SoakClientSpec {
  index: number;
  stream: number;
  sessionId: string;
  streamId: string;
  /** The instance it connects to first. */
  instance: number;
  policy: ReconnectPolicy;
}

/** Every delivery of a client process: publish request sent → message received, and whether it was a replay. */
export interface DeliverySamples {
  /** When each delivered event's publish request was sent (ms, `now()`). */
  sentAt: Float64Array;
  latencyMs: Float64Array;
  /** 1 where the message was replayed to a resuming client (published before that connection opened). */
  replayed: Uint8Array;
}

/** What the soak tells a client process. */
export type ToClientProcess =
  | { kind: 'start'; baseUrls: string[]; retryMs: number; clients: SoakClientSpec[] }
  /** Which process serves an instance now (clients record it on each connection). */
  | { kind: 'generation'; instance: number; generation: number }
  /** The streams are about to be completed, with their last acknowledged ids (by stream index). */
  | { kind: 'completing'; lastIds: Record<number, string | undefined> }
  /** Report once every client ended. */
  | { kind: 'report' }
  | { kind: 'stop' };

/** What a client process tells the soak. */
export type FromClientProcess =
  /** Every client of the last `start` got an answer to its first request. */
  | { kind: 'connected' }
  | { kind: 'completing-noted' }
  /** Every client ended (or was stopped): the process exits once the soak disconnects. */
  | { kind: 'ended'; clients: SoakClientRecord[]; deliveries: DeliverySamples; loopDelay: LoopDelayWindow[] }
  | { kind: 'failed'; error: string };
