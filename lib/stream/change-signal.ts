/**
 * A level-triggered "something changed" flag that a reader can wait on. A notification that
 * arrives while the reader is busy is kept, so the next wait returns at once: no lost wake-up.
 */
export class ChangeSignal {
  private pending = false;
  private release?: () => void;

  notify(): void {
    this.pending = true;
    this.release?.();
  }

  /** Forgets notifications so far; called right before the reader looks at the stream. */
  reset(): void {
    this.pending = false;
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
