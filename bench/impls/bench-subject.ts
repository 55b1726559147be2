import type { CacheCallCounts } from '../../test/support/counting-cache';

export type ImplName = 'store' | 'reference' | 'mcp-sdk-in-memory' | 'raw';
export type BackendName = 'memory' | 'redis';

/** Which implementation on which backend; plain data, so a child process can build the same subject. */
export interface SubjectSpec {
  impl: ImplName;
  backend: BackendName;
  /**
   * An alternative form of the implementation: for the store, `generic` forces the cache-manager
   * storage path; for raw Redis, the data layout (see `raw-redis-subject.ts`).
   */
  variant?: string;
  keyPrefix: string;
  /** Wraps the cache in a call counter (implementations on cache-manager only). */
  countCacheCalls?: boolean;
  /** Longest stream the scenario writes: an implementation with a retention cap keeps at least this many events. */
  longestStream?: number;
  /** Every expiry (sliding and absolute, events and metadata) in ms, where the implementation has one; its defaults otherwise. */
  ttlMs?: number;
}

export interface StreamAddress {
  sessionId: string;
  streamId: string;
}

export interface BenchWriter {
  /** Stores one event and resolves with its id once the backend has it. */
  write(data: Record<string, unknown>): Promise<string>;
  /** Ends the stream: its readers finish after its last event. */
  complete(): Promise<void>;
}

export interface ReplayRequest {
  /** Resume after this id; without it, from the stream's first event. */
  afterId?: string;
  /** Stop once this many events were delivered... */
  count: number;
  /** ...or at this time (`now()` clock), whichever comes first. */
  deadline: number;
  onEvent?(data: unknown): void;
  /** The store only: data as the text an SSE endpoint sends (`wireData`), not decoded. */
  wireData?: boolean;
}

/** One implementation on one backend, behind the few operations the scenarios need. */
export interface BenchSubject {
  readonly spec: SubjectSpec;
  openWriter(address: StreamAddress): Promise<BenchWriter>;
  /**
   * Setup only, where writing event by event would take minutes: stores a completed stream of
   * the given events, leaving the same data its writer would; resolves with the ids.
   */
  seed?(address: StreamAddress, events: Record<string, unknown>[]): Promise<string[]>;
  /** Resolves with the number of events delivered. */
  replay(address: StreamAddress, request: ReplayRequest): Promise<number>;
  /**
   * Delivers the stream's events as they are written, from its start; resolves with a stop
   * function. Absent where the implementation has no live readers.
   */
  follow?(address: StreamAddress, onEvent: (data: unknown) => void): Promise<() => void>;
  /**
   * Entries the implementation holds now, expired or not (in memory: events, streams, sessions
   * and tombstones, or cache entries); absent where it cannot tell.
   */
  heldEntries?(): number;
  /** Calls that reached the cache, when the spec asked for them to be counted. */
  readonly cacheCalls?: { counts: CacheCallCounts; reset(): void };
  /** Releases connections and timers; leaves the data (see `deleteSubjectData`). */
  close(): Promise<void>;
}

export function subjectLabel(spec: Pick<SubjectSpec, 'impl' | 'backend' | 'variant'>): string {
  return `${spec.impl}/${spec.backend}${spec.variant ? ` (${spec.variant})` : ''}`;
}
