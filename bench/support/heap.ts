/** V8 heap used after two full GCs, in a process started with `--expose-gc`. */
export function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('measuring the heap needs --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Runs a full GC when the process was started with `--expose-gc` (as `npm run bench` starts it).
 * The bench runs every scenario and every implementation in one process: what one leaves behind (a
 * million events of the replay-tail fill, say) is otherwise collected during the next one, and a
 * 100 ms pause lands in its figures.
 */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
