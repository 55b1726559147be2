import type { LoggerService } from '@nestjs/common';

/** The lines an {@link OutageLog} writes: one when an outage starts, one when it ends. */
export interface OutageMessages {
  /** The warning at the first failure; `cause` is the most telling error of its cause chain (see {@link describeCause}). */
  started(cause: string): string;
  /** The line at the first success after failures; `duration` as `12.3 s`. */
  ended(duration: string, failures: number): string;
}

/**
 * Logs an outage of something the store depends on as two lines instead of one per failure: a
 * warning with the cause when it starts, and a line with its duration and the number of failures
 * in between when it ends. Failures in between are only counted, so a long outage under load
 * does not flood the log.
 */
export class OutageLog {
  private startedAt?: number;
  private failures = 0;
  private ended = 0;

  constructor(
    private readonly logger: Pick<LoggerService, 'warn' | 'log'>,
    private readonly messages: OutageMessages,
    private readonly now: () => number = Date.now,
  ) {}

  /** True between the first failure and the next success. */
  get isOut(): boolean {
    return this.startedAt !== undefined;
  }

  /**
   * Taken when an operation starts, and given to {@link failed} if it fails: an operation that
   * was under way when an outage ended (sent before, timed out after) does not start another.
   */
  get mark(): number {
    return this.ended;
  }

  /** A failure: the first one starts the outage and is logged; later ones are counted. */
  failed(cause: unknown, mark = this.mark): void {
    if (this.startedAt === undefined && mark !== this.ended) return;
    this.failures++;
    if (this.startedAt !== undefined) return;
    this.startedAt = this.now();
    this.logger.warn(this.messages.started(describeCause(cause)));
  }

  /** A success: ends the outage under way, if any. */
  succeeded(): void {
    if (this.startedAt === undefined) return;
    const duration = `${((this.now() - this.startedAt) / 1000).toFixed(1)} s`;
    this.logger.log(this.messages.ended(duration, this.failures));
    this.startedAt = undefined;
    this.failures = 0;
    this.ended++;
  }
}

/**
 * The error of `error`'s cause chain that says what went wrong: the first with a system error
 * code (`ECONNREFUSED`, `ENOTFOUND`, ...; an `AggregateError`'s errors included), else the
 * innermost cause. Its message, which for a system error names the code and the address.
 */
export function describeCause(error: unknown): string {
  const chain: unknown[] = [];
  const pending: unknown[] = [error];
  while (pending.length > 0 && chain.length < 20) {
    const next = pending.shift();
    if (next === undefined || next === null || chain.includes(next)) continue;
    chain.push(next);
    if (next instanceof AggregateError) pending.push(...next.errors);
    if (next instanceof Error) pending.push(next.cause);
  }
  const systemErrors = chain.filter(hasSystemErrorCode);
  // Node's AggregateError of a connection to several addresses has the code but no message.
  const withMessage = systemErrors.find((entry) => entry.message !== '');
  if (withMessage) return withMessage.message;
  if (systemErrors.length > 0) return systemErrors[0].code;
  const innermost = chain.filter((entry) => entry instanceof Error).at(-1);
  if (innermost) return innermost.message || innermost.name;
  return error === undefined ? 'no cause given' : String(error);
}

function hasSystemErrorCode(entry: unknown): entry is Error & { code: string } {
  const code = (entry as { code?: unknown } | undefined)?.code;
  return entry instanceof Error && typeof code === 'string' && /^E[A-Z]+$/.test(code);
}
