// Runs every compiled test file (build/test/**/*.test.js) with Node's test runner.
// Files run one at a time: the suites share the machine's Redis and a 2-core CPU.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../build/test/', import.meta.url).pathname;
const filter = process.argv[2];
// Comma-separated substrings of test file paths (relative to build/test/, e.g. 'unit/,e2e/'),
// used by the Nest 11 matrix: TEST_ONLY keeps the files that contain one of them, TEST_EXCLUDE
// leaves out the files that contain one of them.
const substrings = (value) => (value ?? '').split(',').filter(Boolean);
const only = substrings(process.env.TEST_ONLY);
const exclude = substrings(process.env.TEST_EXCLUDE);
const files = readdirSync(root, { recursive: true })
  .filter(
    (file) =>
      file.endsWith('.test.js') &&
      (!filter || file.includes(filter)) &&
      (only.length === 0 || only.some((part) => file.includes(part))) &&
      !exclude.some((part) => file.includes(part)),
  )
  .map((file) => join(root, file))
  .sort();
if (files.length === 0) {
  const conditions = [
    filter && `matching '${filter}'`,
    only.length > 0 && `in TEST_ONLY=${process.env.TEST_ONLY}`,
    exclude.length > 0 && `outside TEST_EXCLUDE=${process.env.TEST_EXCLUDE}`,
  ].filter(Boolean);
  console.error(`No test files under ${root}${conditions.length ? ` ${conditions.join(', ')}` : ''}.`);
  process.exit(1);
}
// A test that hangs fails after 5 minutes instead of holding the run until CI gives up.
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=300000', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
