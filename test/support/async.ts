import type { Observable, Subscription } from 'rxjs';

/** Waits for a real condition, polling it every few milliseconds; fails after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(5);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What an Observable did so far, and a promise of how it ended. */
export interface Recording<T> {
  readonly values: T[];
  /** Set once it completed or errored. */
  readonly outcome: { completed: true } | { error: unknown } | undefined;
  /** Resolves with the outcome when it completes or errors (never rejects). */
  readonly ended: Promise<{ completed: true } | { error: unknown }>;
  readonly subscription: Subscription;
  /** Resolves once at least `count` values arrived; rejects if it ended before, or after `timeoutMs`. */
  waitForCount(count: number, timeoutMs?: number): Promise<void>;
}

/** Subscribes and records every value, the completion or the error. */
export function record<T>(observable: Observable<T>): Recording<T> {
  const values: T[] = [];
  let outcome: Recording<T>['outcome'];
  let settle!: (value: { completed: true } | { error: unknown }) => void;
  const ended = new Promise<{ completed: true } | { error: unknown }>((resolve) => (settle = resolve));
  const subscription = observable.subscribe({
    next: (value) => values.push(value),
    complete: () => settle((outcome = { completed: true })),
    error: (error: unknown) => settle((outcome = { error })),
  });
  return {
    values,
    get outcome() {
      return outcome;
    },
    ended,
    subscription,
    waitForCount: (count, timeoutMs = 5_000) =>
      waitFor(
        () => {
          if (values.length >= count) return true;
          if (outcome) throw new Error(`ended after ${values.length} of ${count} values: ${describe(outcome)}`);
          return false;
        },
        `${count} values`,
        timeoutMs,
      ),
  };
}

/** Collects every value until completion; rejects with the Observable's error. */
export async function collect<T>(observable: Observable<T>, timeoutMs = 10_000): Promise<T[]> {
  const recording = record(observable);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not complete after ${timeoutMs} ms (${recording.values.length} values)`)), timeoutMs);
  });
  try {
    const outcome = await Promise.race([recording.ended, timedOut]);
    if ('error' in outcome) throw outcome.error;
    return recording.values;
  } finally {
    clearTimeout(timer);
    recording.subscription.unsubscribe();
  }
}

function describe(outcome: { completed: true } | { error: unknown }): string {
  return 'error' in outcome ? `error ${String(outcome.error)}` : 'completed';
}
