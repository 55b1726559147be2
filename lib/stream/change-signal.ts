import type { AppendedEvents } from '../encoding/appended-events';

/**
 * Appends kept for a reader between two looks at the stream; past this, it reads them instead
 * (a reader that cannot keep up must not hold on to everything written meanwhile).
 */
const MAX_KEPT_APPENDS = 64;

/**
 * A level-triggered "something changed" flag that a reader can wait on. A notification that
 * arrives while the reader is busy is kept, so the next wait returns at once: no lost wake-up.
 * The events that came with the notifications are kept too, as long as nothing but appends was
 * notified: then the reader may deliver them instead of reading the stream.
 */
export class ChangeSignal {
  private pending = false;
  private appends: AppendedEvents[] = [];
  /** A notification came without its events (or too many came): only a read tells what changed. */
  private mustRead = false;
  private release?: () => void;

  notify(appended?: AppendedEvents): void {
    this.pending = true;
    if (!appended || this.appends.length >= MAX_KEPT_APPENDS) {
      this.mustRead = true;
      this.appends = [];
    } else if (!this.mustRead) {
      this.appends.push(appended);
    }
    this.release?.();
  }

  /** Forgets notifications so far; called right before the reader looks at the stream. */
  reset(): void {
    this.pending = false;
    this.mustRead = false;
    this.appends = [];
  }

  /**
   * After a wait: the appends notified since the last reset, in order, when they are all that
   * changed; `undefined` when the reader must read the stream (a notification without events, or
   * none at all: the wait timed out). Resets the signal either way.
   */
  takeAppends(): AppendedEvents[] | undefined {
    const appends = this.pending && !this.mustRead ? this.appends : undefined;
    this.reset();
    return appends;
  }

  /** Resolves on the next notification (or one that came since `reset`), or after `timeoutMs` when given. */
  wait(timeoutMs: number | undefined): Promise<void> {
    if (this.pending) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => this.release?.(), timeoutMs);
      this.release = () => {
        clearTimeout(timer);
        this.release = undefined;
        resolve();
      };
    });
  }
}
