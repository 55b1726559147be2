// Runs every compiled test file (build/test/**/*.test.js) with Node's test runner.
// Files run one at a time: the suites share the machine's Redis and a 2-core CPU.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../build/test/', import.meta.url).pathname;
const filter = process.argv[2];
// TEST_EXCLUDE: a substring of test file paths to leave out (used by the Nest 11 matrix only).
const exclude = process.env.TEST_EXCLUDE;
const files = readdirSync(root, { recursive: true })
  .filter((file) => file.endsWith('.test.js') && (!filter || file.includes(filter)) && (!exclude || !file.includes(exclude)))
  .map((file) => join(root, file))
  .sort();
if (files.length === 0) {
  console.error(`No test files under ${root}${filter ? ` matching '${filter}'` : ''}.`);
  process.exit(1);
}
// A test that hangs fails after 5 minutes instead of holding the run until CI gives up.
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=300000', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
