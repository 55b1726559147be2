import { readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { now } from '../support/timing';

/** How late the event loop of one process ran over one window, and the CPU it used meanwhile. */
export interface LoopDelayWindow {
  /** End of the window (ms, `now()`). */
  at: number;
  /** Its length, ms: longer than asked for when the loop was late. */
  ms: number;
  /** Event-loop delay over the window, ms: mean, 99th percentile, largest. */
  mean: number;
  p99: number;
  max: number;
  /** CPU time (user + system) the process used in the window, ms. */
  cpuMs: number;
  /**
   * Time its main thread (the event loop) was ready to run but waited for a CPU, ms: on a busy
   * machine, a delay that no code of the process causes (0 where the system does not tell).
   */
  cpuWaitMs: number;
}

/** Where the probe preloaded into a sample instance (`instance-probe.ts`) writes its windows, one JSON line each. */
export function instanceProbeFile(pid: number): string {
  return join(tmpdir(), `soak-loop-delay-${pid}.jsonl`);
}

/** The windows the instance with this pid wrote so far, in order; none if it wrote none. */
export async function readInstanceProbe(pid: number): Promise<LoopDelayWindow[]> {
  const text = await readFile(instanceProbeFile(pid), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as LoopDelayWindow);
}

/** Removes the file of an instance that has exited. */
export async function removeInstanceProbe(pid: number): Promise<void> {
  await rm(instanceProbeFile(pid), { force: true });
}

/** Resolution of the delay timer: finer would itself load a busy loop. */
const RESOLUTION_MS = 10;

/**
 * Measures the event-loop delay of this process over consecutive windows (default 1 s) and hands
 * each window's figures to `report`: a stalled loop delays every message the process reads or
 * writes by as much, so it tells which process holds up a delivery. Returns a function that stops it.
 */
export function startLoopDelayProbe(report: (window: LoopDelayWindow) => void, windowMs = 1_000): () => void {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  let cpu = process.cpuUsage();
  let cpuWait = readCpuWaitMs();
  let windowStart = now();
  const timer = setInterval(() => {
    const waited = readCpuWaitMs();
    const at = now();
    const used = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    // The histogram holds the time between the timer's turns: the delay is what exceeds the resolution.
    const delay = (ns: number): number => Math.max(0, ns / 1e6 - RESOLUTION_MS);
    report({
      at,
      ms: at - windowStart,
      mean: delay(histogram.count > 0 ? histogram.mean : 0),
      p99: delay(histogram.percentile(99)),
      max: delay(histogram.max),
      cpuMs: (used.user + used.system) / 1_000,
      cpuWaitMs: waited - cpuWait,
    });
    cpuWait = waited;
    windowStart = at;
    histogram.reset();
  }, windowMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    histogram.disable();
  };
}

/** Run-queue wait of this process's main thread so far (the second field of /proc/self/schedstat), ms. */
function readCpuWaitMs(): number {
  try {
    return Number(readFileSync('/proc/self/schedstat', 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return 0;
  }
}
