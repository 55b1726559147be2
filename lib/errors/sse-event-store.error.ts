/** Base class of every error the store raises; `code` is stable and safe to switch on. */
export abstract class SseEventStoreError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
