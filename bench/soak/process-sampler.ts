import { readFile } from 'node:fs/promises';

/**
 * Peak resident set size of a running process in bytes (VmHWM in /proc/<pid>/status), or
 * `undefined` when it cannot be read (the process is gone, or the system has no /proc).
 */
export function readPeakRss(pid: number): Promise<number | undefined> {
  return readStatusKilobytes(pid, 'VmHWM');
}

/** Resident set size of a running process in bytes now (VmRSS), or `undefined`. */
export function readRss(pid: number): Promise<number | undefined> {
  return readStatusKilobytes(pid, 'VmRSS');
}

async function readStatusKilobytes(pid: number, field: 'VmHWM' | 'VmRSS'): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    return match ? Number(match[1]) * 1_024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a running process has used so far, in seconds, or `undefined`. */
export async function readCpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** USER_HZ, 100 on Linux everywhere that matters. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * Keeps the peak RSS and CPU time of labelled processes. VmHWM is gone with the process, so a process that
 * may be killed is sampled periodically, and once more right before it is stopped or killed.
 */
export class ProcessSampler {
  private readonly peaks = new Map<string, number>();
  private readonly cpu = new Map<string, number>();
  private readonly watched = new Map<string, number>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly intervalMs = 500) {}

  watch(label: string, pid: number): void {
    this.watched.set(label, pid);
    this.timer ??= setInterval(() => void this.sampleAll(), this.intervalMs);
  }

  /** Samples the process one last time and stops watching it. */
  async release(label: string): Promise<void> {
    const pid = this.watched.get(label);
    if (pid === undefined) return;
    await this.sample(label, pid);
    this.watched.delete(label);
  }

  /** Peak RSS in bytes, `undefined` if never read. */
  peak(label: string): number | undefined {
    return this.peaks.get(label);
  }

  /** CPU seconds used, as of the last sample. */
  cpuSeconds(label: string): number | undefined {
    return this.cpu.get(label);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async sampleAll(): Promise<void> {
    await Promise.all([...this.watched].map(([label, pid]) => this.sample(label, pid)));
  }

  private async sample(label: string, pid: number): Promise<void> {
    const [value, cpu] = await Promise.all([readPeakRss(pid), readCpuSeconds(pid)]);
    if (this.watched.get(label) !== pid) return;
    if (value !== undefined) this.peaks.set(label, Math.max(value, this.peaks.get(label) ?? 0));
    if (cpu !== undefined) this.cpu.set(label, Math.max(cpu, this.cpu.get(label) ?? 0));
  }
}
