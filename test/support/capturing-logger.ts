import type { LoggerService, LogLevel } from '@nestjs/common';

/** One call to a Nest logger. */
export interface CapturedLog {
  level: LogLevel;
  message: unknown;
  context?: string;
}

/**
 * A Nest `LoggerService` that keeps every call instead of printing it. Install it with
 * `Test.createTestingModule(...).setLogger(logger)` (providers log while the module compiles)
 * or `app.useLogger(logger)`.
 */
export class CapturingLogger implements LoggerService {
  readonly entries: CapturedLog[] = [];

  log(message: unknown, ...rest: unknown[]): void {
    this.capture('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.capture('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.capture('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.capture('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.capture('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.capture('fatal', message, rest);
  }

  /** The entries logged with this context (Nest passes it as the last argument). */
  from(context: string): CapturedLog[] {
    return this.entries.filter((entry) => entry.context === context);
  }

  private capture(level: LogLevel, message: unknown, rest: unknown[]): void {
    const last = rest.at(-1);
    this.entries.push({ level, message, context: typeof last === 'string' ? last : undefined });
  }
}

/** The entries logged at warn, error or fatal level: what an operator's alerting sees. */
export function atWarnOrAbove(entries: readonly CapturedLog[]): CapturedLog[] {
  return entries.filter((entry) => entry.level === 'warn' || entry.level === 'error' || entry.level === 'fatal');
}
