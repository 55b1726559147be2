/** V8 heap used after two full GCs, in a process started with `--expose-gc`. */
export function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('measuring the heap needs --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
