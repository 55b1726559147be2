/** How much work each scenario does: full sizes match the scenario names, quick ones only check that everything runs. */
export interface BenchSizes {
  /** Length of each timed write measurement. */
  writeSeconds: number;
  /** Events in the stream that `replay-100k` resumes from its start. */
  replayEvents: number;
  /** A replay slower than this is stopped and its rate taken from what it delivered. */
  replayCapMs: number;
  /** Replays of the stream per implementation; the best counts (one slow pass is the machine, not the store). */
  replayRepeats: number;
  tailStreams: number;
  tailEventsPerStream: number;
  /** Events missed by the resuming client in `replay-tail`. */
  tailMissed: number;
  tailRepeats: number;
  /** Slow implementations repeat only while under this budget (at least once). */
  tailBudgetMs: number;
  /** Live events per latency measurement, and the pause between them. */
  liveEvents: number;
  liveGapMs: number;
  /** The 1 s polling reader gets fewer, more widely spaced events (its latency does not depend on the count). */
  pollingLiveEvents: number;
  pollingLiveGapMs: number;
  idleReaders: number;
  /** Whole seconds, so each 1 s polling reader reads the same number of times. */
  idleSeconds: number;
  roundTripEvents: number;
  memoryStreams: number;
  memoryEventsPerStream: number;
  /** Writers at once, and awaited writes each, while Redis CPU is measured. */
  cpuStreams: number;
  cpuWritesPerStream: number;
  /** `heap-after-expiry`: streams of events that expire after `expiryTtlMs`, and how long after the last write the heap is measured. */
  expiryStreams: number;
  expiryEventsPerStream: number;
  expiryTtlMs: number;
  expiryWaitMs: number;
}

export const FULL_SIZES: BenchSizes = {
  writeSeconds: 3,
  replayEvents: 100_000,
  replayCapMs: 10_000,
  replayRepeats: 3,
  tailStreams: 1_000,
  tailEventsPerStream: 1_000,
  tailMissed: 10,
  tailRepeats: 50,
  tailBudgetMs: 20_000,
  liveEvents: 1_000,
  liveGapMs: 2,
  pollingLiveEvents: 100,
  pollingLiveGapMs: 31,
  idleReaders: 1_000,
  idleSeconds: 5,
  roundTripEvents: 2_000,
  memoryStreams: 1_000,
  memoryEventsPerStream: 100,
  cpuStreams: 20,
  cpuWritesPerStream: 1_000,
  expiryStreams: 1_000,
  expiryEventsPerStream: 50,
  expiryTtlMs: 1_000,
  expiryWaitMs: 5_000,
};

export const QUICK_SIZES: BenchSizes = {
  writeSeconds: 0.2,
  replayEvents: 5_000,
  replayCapMs: 1_500,
  replayRepeats: 1,
  tailStreams: 50,
  tailEventsPerStream: 100,
  tailMissed: 10,
  tailRepeats: 5,
  tailBudgetMs: 1_000,
  liveEvents: 50,
  liveGapMs: 2,
  pollingLiveEvents: 10,
  pollingLiveGapMs: 50,
  idleReaders: 50,
  idleSeconds: 1,
  roundTripEvents: 100,
  memoryStreams: 100,
  memoryEventsPerStream: 100,
  cpuStreams: 5,
  cpuWritesPerStream: 50,
  expiryStreams: 50,
  expiryEventsPerStream: 10,
  expiryTtlMs: 1_000,
  expiryWaitMs: 2_500,
};
