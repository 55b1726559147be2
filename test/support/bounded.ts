/** How long a store call may take before a test calls it a hang. Generous: it detects hangs, it does not measure speed. */
export const HANG_LIMIT_MS = 10_000;

/**
 * Resolves or rejects as `promise` does, or rejects when it has not settled within `limitMs`
 * ({@link HANG_LIMIT_MS} unless a test with a short `operationTimeout` sets a tighter guard).
 */
export async function bounded<T>(promise: Promise<T>, what: string, limitMs = HANG_LIMIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HangError(`${what}: no answer within ${limitMs} ms`)), limitMs);
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** What {@link bounded} rejects with when the call hangs. */
export class HangError extends Error {}
