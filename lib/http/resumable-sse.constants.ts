/** Metadata key of the {@link ResumableSseOptions} a route was decorated with. */
export const RESUMABLE_SSE_OPTIONS = Symbol('RESUMABLE_SSE_OPTIONS');
