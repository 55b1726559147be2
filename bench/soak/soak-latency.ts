import { percentile } from '../support/timing';
import type { DeliverySamples } from './client-fleet-protocol';
import type { LoopDelayWindow } from './loop-delay-probe';

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Live deliveries of the events published in one second of the run. */
export interface LatencySecond extends LatencySummary {
  /** Seconds since the publishing started. */
  second: number;
}

/** Event-loop delay of one process over the publishing, from its per-second windows. */
export interface LoopDelaySummary {
  /** Mean delay, ms. */
  mean: number;
  /** The largest per-second p99 outside the kill window, and over the whole publishing, ms. */
  worstSecondP99Steady: number;
  worstSecondP99: number;
  /** The longest single delay, ms. */
  max: number;
  /** CPU used over the publishing, as a share of one core (1 = a core fully busy). */
  cpuCores: number;
  /** Share of the publishing the event loop was ready to run but waited for a CPU. */
  cpuWaitShare: number;
}

/** From the kill until the last client it disconnected received live events again (ms, `now()`). */
export interface KillWindow {
  from: number;
  to: number;
}

/** The latency figures of a run: every delivery, live ones, and live ones outside the kill window. */
export interface LatencyFigures {
  all: LatencySummary;
  live: LatencySummary;
  /** Live deliveries of events published before the kill or after the kill window. */
  liveSteady: LatencySummary;
  /** Live deliveries of events published in the kill window. */
  liveKillWindow: LatencySummary;
  bySecond: LatencySecond[];
}

export function summariseLatencies(
  deliveries: DeliverySamples[],
  publishStartedAt: number,
  publishEndedAt: number,
  window: KillWindow,
): LatencyFigures {
  const all: number[] = [];
  const live: number[] = [];
  const steady: number[] = [];
  const killWindow: number[] = [];
  const bySecond: number[][] = [];
  for (const { sentAt, latencyMs, replayed } of deliveries) {
    for (let at = 0; at < sentAt.length; at++) {
      const latency = latencyMs[at];
      all.push(latency);
      if (replayed[at]) continue;
      live.push(latency);
      const sent = sentAt[at];
      (inWindow(sent, window) ? killWindow : steady).push(latency);
      // The streams' first events, published before the clients connect, are not part of the run's seconds.
      if (sent < publishStartedAt || sent > publishEndedAt) continue;
      const second = Math.floor((sent - publishStartedAt) / 1_000);
      (bySecond[second] ??= []).push(latency);
    }
  }
  return {
    all: summariseLatency(all),
    live: summariseLatency(live),
    liveSteady: summariseLatency(steady),
    liveKillWindow: summariseLatency(killWindow),
    bySecond: [...bySecond.entries()].filter(([, values]) => values).map(([second, values]) => ({ second, ...summariseLatency(values) })),
  };
}

export function inWindow(at: number, window: KillWindow): boolean {
  return at >= window.from && at <= window.to;
}

export function summariseLatency(values: number[]): LatencySummary {
  const sorted = Array.from(Float64Array.from(values).sort());
  const at = (p: number): number => percentile(sorted, p);
  return { count: sorted.length, p50: at(50), p95: at(95), p99: at(99), max: sorted.at(-1) ?? Number.NaN };
}

/** The windows of one process that fall in the publishing, summarised; `undefined` if it reported none there. */
export function summariseLoopDelay(
  windows: readonly LoopDelayWindow[],
  publishStartedAt: number,
  publishEndedAt: number,
  killWindow: KillWindow,
): LoopDelaySummary | undefined {
  const during = windows.filter((window) => window.at > publishStartedAt && window.at - window.ms < publishEndedAt);
  if (during.length === 0) return undefined;
  const steady = during.filter((window) => window.at < killWindow.from || window.at - window.ms > killWindow.to);
  const duration = during.reduce((sum, window) => sum + window.ms, 0);
  const largest = (values: number[]): number => (values.length > 0 ? Math.max(...values) : Number.NaN);
  return {
    mean: during.reduce((sum, window) => sum + window.mean * window.ms, 0) / duration,
    worstSecondP99Steady: largest(steady.map((window) => window.p99)),
    worstSecondP99: largest(during.map((window) => window.p99)),
    max: largest(during.map((window) => window.max)),
    cpuCores: during.reduce((sum, window) => sum + window.cpuMs, 0) / duration,
    cpuWaitShare: during.reduce((sum, window) => sum + window.cpuWaitMs, 0) / duration,
  };
}
