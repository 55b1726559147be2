import { writeFile } from 'node:fs/promises';
import type { BenchResult } from '../scenarios/scenario';

/** `{ "results": [ { scenario, impl, backend, value, unit, variant?, implVariant?, note? } ] }` */
export async function writeJsonReport(path: string, results: BenchResult[]): Promise<void> {
  await writeFile(path, `${JSON.stringify({ results }, null, 2)}\n`);
}
