// `npm run docs` builds the API reference from the TSDoc of the five entry points without a
// warning (typedoc.json treats warnings as errors): a public type left unexported, a broken
// {@link} or a @param that names no parameter fails here, and so in CI.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findRepositoryRoot, runToExit } from './packed-package';

const root = findRepositoryRoot();
/** The page TypeDoc writes for each entry point, named after its `@module` tag. */
const MODULE_PAGES = [
  'nestjs-sse-event-store',
  'nestjs-sse-event-store_testing',
  'nestjs-sse-event-store_mcp',
  'nestjs-sse-event-store_mcp-nest',
  'nestjs-sse-event-store_terminus',
];

test('the API reference builds from the TSDoc with no warning, a page per entry point', { timeout: 180_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'sse-api-reference-'));
  try {
    const typedoc = join(root, 'node_modules', 'typedoc', 'bin', 'typedoc');
    const result = await runToExit(process.execPath, [typedoc, '--out', out], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 170_000,
    });
    const output = result.stdout + result.stderr;
    assert.equal(result.exitCode, 0, `typedoc failed (${result.failure}):\n${output}`);
    assert.doesNotMatch(output, /\[(warning|error)\]/, output);
    for (const page of MODULE_PAGES) assert.ok(existsSync(join(out, 'modules', `${page}.html`)), `no page for ${page}:\n${output}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
