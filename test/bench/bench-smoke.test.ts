import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Every scenario and the implementations it must report (backend per implementation). */
const REQUIRED: Record<string, string[]> = {
  'write-1-stream': ['store/memory', 'store/redis', 'reference/memory', 'reference/redis', 'mcp-sdk-in-memory/memory', 'raw/redis'],
  'write-100-streams': ['store/memory', 'store/redis', 'reference/memory', 'reference/redis', 'mcp-sdk-in-memory/memory', 'raw/redis'],
  'replay-100k': ['store/memory', 'store/redis', 'reference/memory', 'reference/redis', 'mcp-sdk-in-memory/memory', 'raw/redis'],
  'replay-tail': ['store/memory', 'store/redis', 'reference/memory', 'reference/redis', 'mcp-sdk-in-memory/memory', 'raw/redis'],
  'live-p50-same-process': ['store/memory', 'store/redis', 'reference/memory', 'reference/redis', 'raw/redis'],
  'live-p99-same-process': ['store/memory', 'store/redis', 'reference/memory', 'reference/redis', 'raw/redis'],
  'live-p99-cross-process': ['store/redis', 'reference/redis', 'raw/redis'],
  'idle-reader-reads': ['store/memory', 'store/redis', 'reference/memory', 'reference/redis'],
  'round-trips-per-write': ['store/memory', 'store/redis', 'reference/memory', 'reference/redis', 'raw/redis'],
  'memory-per-1k-streams': ['store/memory', 'reference/memory', 'mcp-sdk-in-memory/memory'],
  'heap-after-expiry': ['store/memory', 'mcp-sdk-in-memory/memory'],
};

interface Row {
  scenario: string;
  impl: string;
  backend: string;
  value: unknown;
  unit: unknown;
  variant?: string;
  implVariant?: string;
}

// Needs the Redis the other suites use (REDIS_URL, default 127.0.0.1:6379). No timing assertions:
// the quick mode only shows that every scenario runs against every implementation.
test('the quickest benchmark run reports every required scenario for every implementation', { timeout: 240_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sse-bench-'));
  try {
    const json = join(dir, 'results.json');
    await run(process.execPath, [join(__dirname, '..', '..', 'bench', 'run.js'), '--quick', '--json', json, '--out', dir], {
      maxBuffer: 16 * 1024 * 1024,
    });
    const { results } = JSON.parse(await readFile(json, 'utf8')) as { results: Row[] };
    const required = results.filter((row) => row.variant === undefined && row.implVariant === undefined);
    for (const [scenario, implementations] of Object.entries(REQUIRED)) {
      for (const implementation of implementations) {
        const [impl, backend] = implementation.split('/');
        const rows = required.filter((row) => row.scenario === scenario && row.impl === impl && row.backend === backend);
        assert.equal(rows.length, 1, `${scenario}: one row for ${implementation}`);
        assert.equal(typeof rows[0].value, 'number', `${scenario} ${implementation}: value is a number`);
        assert.ok(Number.isFinite(rows[0].value), `${scenario} ${implementation}: value ${String(rows[0].value)} is finite`);
        assert.equal(typeof rows[0].unit, 'string');
      }
    }
    const svg = await readFile(join(dir, 'ratios.svg'), 'utf8');
    assert.match(svg, /^<svg /);
    assert.match(await readFile(join(dir, 'latest.md'), 'utf8'), /\| scenario \|/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
