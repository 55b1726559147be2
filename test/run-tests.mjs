// Runs every compiled test file (build/test/**/*.test.js) with Node's test runner.
// Files run one at a time: the suites share the machine's Redis and a 2-core CPU.
//
//   node test/run-tests.mjs [--build DIR] [--parallel] [FILTER]
//
// DIR is where tsc put the compiled tests: build/ by default, build-unit/ for the fast tier
// (tsconfig.unit.json). --parallel runs one file per CPU at a time, for tests that share nothing
// (the fast tier). FILTER keeps the files whose path contains it.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repository = dirname(dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const buildFlag = args.indexOf('--build');
const buildDir = buildFlag === -1 ? 'build' : args.splice(buildFlag, 2)[1];
const root = join(repository, buildDir, 'test');
const parallelFlag = args.indexOf('--parallel');
if (parallelFlag !== -1) args.splice(parallelFlag, 1);
const concurrency = parallelFlag === -1 ? 1 : availableParallelism();
const filter = args[0];
// A compiled test whose source is gone (moved or deleted since an incremental build) is not run.
const hasSource = (file) => existsSync(join(repository, 'test', file.replace(/\.js$/, '.ts')));
// Comma-separated substrings of test file paths (relative to build/test/, e.g. 'unit/,store/'),
// used by the Nest 11 matrix: TEST_ONLY keeps the files that contain one of them, TEST_EXCLUDE
// leaves out the files that contain one of them.
const substrings = (value) => (value ?? '').split(',').filter(Boolean);
const only = substrings(process.env.TEST_ONLY);
const exclude = substrings(process.env.TEST_EXCLUDE);
const files = readdirSync(root, { recursive: true })
  .filter(
    (file) =>
      file.endsWith('.test.js') &&
      hasSource(file) &&
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
// Every key a test writes to the shared Redis starts with `sse-test-<run>-` (test/support/caches.ts):
// removed when the run ends, passed or failed, so runs leave nothing behind for hours of TTL.
const testRun = process.env.SSE_TEST_RUN ?? randomBytes(4).toString('hex');
/** The set in which `@keyv/valkey`, without a namespace, lists the keys it wrote. */
const KEYV_VALKEY_NAME_SET = 'namespace:';
// A test that hangs fails after 5 minutes instead of holding the run until CI gives up.
const result = spawnSync(
  process.execPath,
  ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=300000', '--test-reporter=spec', ...files],
  {
    stdio: 'inherit',
    env: { ...process.env, SSE_TEST_RUN: testRun },
  },
);
await removeTestKeys(`sse-test-${testRun}-*`);
process.exit(result.status ?? 1);

/** Unlinks the keys matching `pattern` in the Redis at REDIS_URL; nothing to do when none answers (the fast tier needs none). */
async function removeTestKeys(pattern) {
  const { createClient } = await import('@redis/client');
  const client = createClient({
    url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    socket: { connectTimeout: 2_000, reconnectStrategy: false },
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch {
    return;
  }
  let removed = 0;
  let unlisted = 0;
  try {
    for await (const keys of client.scanIterator({ MATCH: pattern, COUNT: 1_000 })) {
      if (keys.length > 0) removed += await client.unlink(keys);
    }
    // `@keyv/valkey` also records the name of every key it writes in this set (its default,
    // `useRedisSets`), which has no TTL and outlives the keys: the run's names are taken out too.
    for await (const names of client.sScanIterator(KEYV_VALKEY_NAME_SET, { MATCH: pattern, COUNT: 1_000 })) {
      if (names.length > 0) unlisted += await client.sRem(KEYV_VALKEY_NAME_SET, names);
    }
  } finally {
    client.destroy();
  }
  if (removed > 0) console.log(`Removed the ${removed} keys this run's tests left in Redis (${pattern}).`);
  if (unlisted > 0) console.log(`Removed ${unlisted} of their names from the set \`${KEYV_VALKEY_NAME_SET}\` that @keyv/valkey keeps.`);
}
