// The README's Quick start, compiled and run as a user would: its code blocks are taken from
// README.md, laid out as a Nest project that installs the packed library and the packages the
// README's Install section names, compiled with tsc under
// a classic Nest tsconfig and run as real processes (`node dist/main.js`). A real EventSource
// follows a job through completion, a 10 s Redis outage, and `kill -9` of its instance, and
// must end with every event exactly once, in order, stopping only once the stream is complete.
// Two more Redis scenarios pin the moment Redis goes away to an append in flight: an append that
// never ran leaves its sequence skipped (readers pass over it); one that ran after all, while the
// job retried it, is the one event a retry of an unconfirmed write may repeat.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../support/async';
import { EventSourceFollower, type FollowerClosed } from '../support/event-source-follower';
import { FailoverFront } from '../support/failover-front';
import { type CodeBlock, fileNameComment, installedPackages, isTypeScript, markdownSection } from '../support/markdown-code-blocks';
import { NodeAppProcess } from '../support/node-app-process';
import { type RedisServerProcess, startRedisServer } from '../support/redis-server';
import {
  PACKAGE_NAME,
  applicationEnv,
  createApp,
  findRepositoryRoot,
  packPackage,
  parseTscOutput,
  readJson,
  runToExit,
} from './packed-package';

const INSTALL = '## Install';
const QUICK_START = '## Quick start';
const REDIS_SECTION = '## Several instances: Redis';
/** The files of the Quick start, each a ```ts block whose first line names it. */
const QUICK_START_FILES = ['app.module.ts', 'jobs.controller.ts', 'main.ts'] as const;
/** What a Nest application has besides what the README tells to install. */
const NEST_APPLICATION_PACKAGES = ['@nestjs/common', '@nestjs/core', '@nestjs/platform-express', 'reflect-metadata', 'rxjs', '@types/node'];
/** The job's events: progress 0, then 10 to 100. */
const EXPECTED_PERCENTS = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
/** How long Redis stays down in the outage scenario. */
const OUTAGE_MS = 10_000;
/** How long a client that stopped is watched for further requests. */
const QUIET_AFTER_CLOSE_MS = 10_000;
/** Bounds on waits: they turn a hang into a clear failure, they do not measure speed. */
const EVENTS_TIMEOUT_MS = 30_000;
const COMPLETION_TIMEOUT_MS = 60_000;

/** A Nest project as a user would have it (`nest new`), on CommonJS, strict. */
const CLASSIC_NEST_TSCONFIG = `${JSON.stringify(
  {
    compilerOptions: {
      module: 'commonjs',
      target: 'ES2023',
      declaration: true,
      removeComments: true,
      emitDecoratorMetadata: true,
      experimentalDecorators: true,
      allowSyntheticDefaultImports: true,
      sourceMap: true,
      outDir: './dist',
      rootDir: './src',
      strict: true,
      skipLibCheck: true,
      types: ['node'],
    },
    include: ['src'],
  },
  null,
  2,
)}\n`;

/** One variant of the Quick start: its source files (README blocks) and what it installs. */
interface QuickStartVariant {
  name: string;
  /** `src/<file>` → the README block it comes from. */
  blocks: Record<string, CodeBlock>;
  packages: string[];
}

/**
 * The Quick start's three files with the packages the Install section names, and the Redis
 * section's `app.module.ts` in place of the in-memory one. Throws, naming the README lines, when a
 * block is missing, doubled, or when the Quick start has a ```ts block the test does not account for.
 */
function extractVariants(markdown: string): { memory: QuickStartVariant; redis: QuickStartVariant } {
  const install = markdownSection(markdown, INSTALL);
  const quickStart = markdownSection(markdown, QUICK_START);
  const redisSection = markdownSection(markdown, REDIS_SECTION);
  const problems: string[] = [];
  const found = new Map<string, CodeBlock[]>();
  for (const block of quickStart.blocks.filter(isTypeScript)) {
    const name = fileNameComment(block);
    if (name && (QUICK_START_FILES as readonly string[]).includes(name)) found.set(name, [...(found.get(name) ?? []), block]);
    else
      problems.push(
        `the \`\`\`ts block at README.md line ${block.line} is not one of ${QUICK_START_FILES.join(', ')} (its first line must be "// <file name>"; it is ${JSON.stringify(block.code.split('\n')[0])})`,
      );
  }
  for (const name of QUICK_START_FILES) {
    const blocks = found.get(name) ?? [];
    if (blocks.length === 0) problems.push(`no \`\`\`ts block starts with "// ${name}"`);
    if (blocks.length > 1)
      problems.push(
        `${blocks.length} \`\`\`ts blocks start with "// ${name}" (README.md lines ${blocks.map((block) => block.line).join(', ')})`,
      );
  }
  const redisModules = redisSection.blocks.filter((block) => isTypeScript(block) && fileNameComment(block) === 'app.module.ts');
  if (redisModules.length !== 1) {
    problems.push(
      `"${REDIS_SECTION}" (line ${redisSection.line}) has ${redisModules.length} \`\`\`ts blocks starting with "// app.module.ts"; expected exactly one`,
    );
  }
  const quickStartPackages = installedPackages(install).map(packageName);
  if (!quickStartPackages.includes(PACKAGE_NAME))
    problems.push(`"${INSTALL}" (line ${install.line}) has no "npm install ${PACKAGE_NAME} ..." line`);
  const redisPackages = installedPackages(redisSection).map(packageName);
  if (redisPackages.length === 0) problems.push(`"${REDIS_SECTION}" names no package to install ("npm install @keyv/redis")`);
  if (problems.length > 0) {
    throw new Error(`README.md "${QUICK_START}" (line ${quickStart.line}) cannot be run as written:\n- ${problems.join('\n- ')}`);
  }
  const blocks = Object.fromEntries(QUICK_START_FILES.map((name) => [name, found.get(name)![0]]));
  const installed = (extra: string[]): string[] =>
    [...new Set([...quickStartPackages, ...extra, ...NEST_APPLICATION_PACKAGES])].filter((name) => name !== PACKAGE_NAME);
  return {
    memory: { name: 'in-memory', blocks, packages: installed([]) },
    redis: { name: 'Redis', blocks: { ...blocks, 'app.module.ts': redisModules[0] }, packages: installed(redisPackages) },
  };
}

/** `name@range` → `name` (a scope's leading `@` kept). */
function packageName(specifier: string): string {
  const at = specifier.indexOf('@', 1);
  return at === -1 ? specifier : specifier.slice(0, at);
}

/**
 * Lays the variant out as a project that installs the tarball (and links the packages it
 * names from the repository's node_modules), and compiles it. A compile error fails with tsc's
 * diagnostics, each pointed at its README.md line.
 */
async function buildProject(root: string, tarball: string, directory: string, variant: QuickStartVariant): Promise<void> {
  await createApp({
    directory,
    flavor: 'commonjs',
    tarball,
    root,
    links: variant.packages,
    files: {
      ...Object.fromEntries(Object.entries(variant.blocks).map(([name, block]) => [`src/${name}`, block.code])),
      'tsconfig.json': CLASSIC_NEST_TSCONFIG,
    },
  });
  // The manifest a user's project would have: the packages it installed, at the versions linked.
  const dependencies: Record<string, string> = {};
  for (const name of variant.packages) {
    const { version } = await readJson<{ version: string }>(join(root, 'node_modules', name, 'package.json'));
    dependencies[name] = `^${version}`;
  }
  const manifest = await readJson<Record<string, unknown> & { dependencies: Record<string, string> }>(join(directory, 'package.json'));
  manifest.name = `readme-quick-start-${variant.name.toLowerCase()}`;
  manifest.dependencies = { ...manifest.dependencies, ...dependencies };
  await writeFile(join(directory, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = await runToExit(process.execPath, [tsc, '--pretty', 'false', '-p', 'tsconfig.json'], {
    cwd: directory,
    env: applicationEnv(),
    timeout: 180_000,
  });
  if (result.exitCode !== 0) {
    const located = parseTscOutput(result.stdout + result.stderr).map((diagnostic) => {
      const block = variant.blocks[diagnostic.file.replace(/^src\//, '')];
      return block ? `README.md line ${block.line + diagnostic.line} (${diagnostic.file}): ${diagnostic.text}` : diagnostic.text;
    });
    throw new Error(`The README Quick start (${variant.name}) does not compile (${result.failure}):\n${located.join('\n')}`);
  }
}

async function startJob(app: NodeAppProcess, jobId: string): Promise<void> {
  const response = await fetch(`${app.url}/jobs/${encodeURIComponent(jobId)}/start`, {
    method: 'POST',
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(response.status, 202, `POST /jobs/${jobId}/start on ${app.name}: ${response.status} ${await response.text()}`);
}

function progressUrl(base: string, jobId: string): string {
  return `${base}/jobs/${encodeURIComponent(jobId)}/progress`;
}

function percents(follower: EventSourceFollower): unknown[] {
  return follower.events.map((event) => {
    try {
      return (JSON.parse(event.data) as { percent?: unknown }).percent;
    } catch {
      return event.data;
    }
  });
}

/** Every event exactly once, in order, each under an id of its own. */
function assertEveryEventOnce(follower: EventSourceFollower, unconfirmedRepeats = 0): void {
  const received = percents(follower);
  // A repeat is the same progress right after itself: a retried write whose first try was stored.
  const repeats = received.filter((percent, index) => index > 0 && percent === received[index - 1]).length;
  assert.ok(repeats <= unconfirmedRepeats, `${repeats} repeated events, at most ${unconfirmedRepeats} allowed (${follower.describe()})`);
  const distinct = received.filter((percent, index) => index === 0 || percent !== received[index - 1]);
  assert.deepEqual(distinct, EXPECTED_PERCENTS, `the client must get progress 0..100, each once, in order (${follower.describe()})`);
  const ids = follower.events.map((event) => event.id);
  assert.equal(new Set(ids).size, ids.length, `every event has an id of its own: ${ids.join(' ')}`);
  assert.ok(
    ids.every((id) => id.length > 0),
    `every event has an id: ${ids.join(' ')}`,
  );
}

/** Closed by the 204 of a completed stream, after its last event, and by nothing before it. */
function assertClosedByCompletion(follower: EventSourceFollower, closed: FollowerClosed): void {
  assert.equal(
    closed.status,
    204,
    `the EventSource must stop on the 204 of a completed stream, not on ${closed.status} (${closed.message}); ${follower.describe()}`,
  );
  assert.equal(
    closed.events,
    follower.events.length,
    `the EventSource stopped after ${closed.events} of its ${follower.events.length} events`,
  );
  assert.equal(percents(follower).at(-1), EXPECTED_PERCENTS.at(-1), 'the EventSource stopped after the last progress');
  const last = follower.requests.at(-1)!;
  assert.equal(last.lastEventId, follower.events.at(-1)!.id, 'the request answered 204 resumed after the last event');
  const refused = follower.requests.slice(0, -1).filter((request) => request.status !== undefined && request.status !== 200);
  assert.deepEqual(refused, [], 'every earlier request was answered 200 (any other status stops an EventSource for good)');
}

/** The process is still running and neither crashed on nor logged an unhandled error, and the job never gave up. */
function assertStayedUp(app: NodeAppProcess): void {
  const output = app.output();
  assert.equal(app.exit, undefined, `${app.name} exited (${JSON.stringify(app.exit)}). Its output:\n${output.slice(-5_000)}`);
  assert.doesNotMatch(output, /unhandled|uncaught/i, `${app.name} reported an unhandled error:\n${output.slice(-5_000)}`);
  assert.doesNotMatch(output, /Job \S+ stopped/, `the job gave up on ${app.name}:\n${output.slice(-5_000)}`);
}

/** The app's warnings and errors, timestamps left out, each with how often it was logged. */
function warningsOf(app: NodeAppProcess): string[] {
  const counts = new Map<string, number>();
  for (const line of app.output().split('\n')) {
    const logged = /\b(WARN|ERROR)\s+(.*)$/.exec(line);
    if (!logged) continue;
    const message = `${logged[1]} ${logged[2].replace(/\s\+\d+ms$/, '')}`.slice(0, 200);
    counts.set(message, (counts.get(message) ?? 0) + 1);
  }
  return [...counts].map(([message, count]) => `${count} × ${message}`);
}

/** The figures of a scenario, in the CI log. */
function report(scenario: string, follower: EventSourceFollower, extra: Record<string, unknown> = {}): void {
  const figures = {
    events: follower.events.length,
    percents: percents(follower).join(','),
    requests: follower.requests.length,
    reconnects: Math.max(0, follower.requests.length - 1),
    statuses: follower.statusCounts(),
    emptyResponses200: follower.requests.filter((request) => request.status === 200 && request.events === 0).length,
    requestTimeline: follower.timeline(),
    ...extra,
  };
  console.log(`[README quick start] ${scenario}: ${JSON.stringify(figures)}`);
}

/** What a scenario involves: for the log when it fails, and to stop when it ends. */
interface ScenarioState {
  follower?: EventSourceFollower;
  apps: NodeAppProcess[];
  redis?: RedisServerProcess;
  front?: FailoverFront;
}

/**
 * Runs a scenario; when it fails, logs what the client went through and the end of each app's
 * output (the README job logs nothing until it gives up, the store logs its warnings), then fails.
 * Stops what the scenario started either way, so the next one has the CPU to itself (`after`
 * stops anything left).
 */
async function diagnosed(name: string, body: (state: ScenarioState) => Promise<void>): Promise<void> {
  const state: ScenarioState = { apps: [] };
  try {
    await body(state);
  } catch (error) {
    console.log(`[README quick start] ${name} FAILED. The client: ${state.follower?.describe() ?? 'not started'}`);
    for (const app of state.apps) {
      const lines = app.output().trimEnd().split('\n');
      console.log(
        `--- ${app.name}: the last ${Math.min(lines.length, 60)} of ${lines.length} lines of its output ---\n${lines.slice(-60).join('\n')}`,
      );
    }
    throw error;
  } finally {
    state.follower?.close();
    await state.front?.close();
    await Promise.all(state.apps.map((app) => app.kill('SIGKILL')));
    await state.redis?.dispose();
  }
}

const root = findRepositoryRoot();
let work: string | undefined;
let memoryProject: string;
let redisProject: string;
const apps: NodeAppProcess[] = [];
const followers: EventSourceFollower[] = [];
const redisServers: RedisServerProcess[] = [];
const fronts: FailoverFront[] = [];

async function startApp(name: string, directory: string, redisUrl?: string): Promise<NodeAppProcess> {
  const env = applicationEnv();
  delete env.REDIS_URL;
  if (redisUrl !== undefined) env.REDIS_URL = redisUrl;
  const app = await NodeAppProcess.start({ name, directory, entry: 'dist/main.js', env });
  apps.push(app);
  return app;
}

function follow(url: string): EventSourceFollower {
  const follower = new EventSourceFollower(url, 'progress');
  followers.push(follower);
  return follower;
}

before(
  async () => {
    const markdown = await readFile(join(root, 'README.md'), 'utf8');
    const variants = extractVariants(markdown);
    work = realpathSync(await mkdtemp(join(tmpdir(), 'sse-readme-')));
    const tarball = await packPackage(root, work);
    memoryProject = join(work, 'quick-start-memory');
    redisProject = join(work, 'quick-start-redis');
    // Two compiles, one per core.
    await Promise.all([
      buildProject(root, tarball, memoryProject, variants.memory),
      buildProject(root, tarball, redisProject, variants.redis),
    ]);
  },
  { timeout: 300_000 },
);

after(async () => {
  for (const follower of followers) follower.close();
  await Promise.allSettled(fronts.map((front) => front.close()));
  await Promise.allSettled(apps.map((app) => app.kill('SIGKILL')));
  await Promise.allSettled(redisServers.map((server) => server.dispose()));
  if (work) await rm(work, { recursive: true, force: true });
});

/** How Redis goes away in a Redis scenario. */
type RedisTrouble =
  /** `redis-cli shutdown nosave`, 10 s down, then started again on its AOF; optionally while an append is held. */
  | { kind: 'outage'; appendInFlight: boolean }
  /** `CLIENT PAUSE 8000 WRITE` while an append is on its way: longer than `operationTimeout` (5 s). */
  | { kind: 'stall' };

/** How long the stall scenario holds Redis' writes: past `operationTimeout` (5 s) and the job's retry. */
const STALL_MS = 8_000;

/** Resolves once a client of the app waits in Redis with a write script that CLIENT PAUSE holds. */
function waitForHeldAppend(redis: RedisServerProcess): Promise<void> {
  return waitFor(
    async () => /\bflags=[A-Za-z]*b[A-Za-z]*\b[^\n]*\bcmd=(evalsha|eval|fcall)\b/i.test(await redis.command(['CLIENT', 'LIST'])),
    "one of the job's appends to be held by CLIENT PAUSE",
    EVENTS_TIMEOUT_MS,
  );
}

/**
 * The Redis variant of the Quick start on a private Redis persisted on every write (AOF,
 * `appendfsync always`), so what Redis acknowledged survives its shutdown. A client follows a job;
 * after its first two events Redis goes away as `trouble` says; the client must end with every
 * event exactly once, in order, and stop only on the completed stream's 204, and the process must
 * stay up.
 */
async function followThroughRedisTrouble(state: ScenarioState, trouble: RedisTrouble): Promise<void> {
  const redis = (state.redis = await startRedisServer({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] }));
  redisServers.push(redis);
  const app = await startApp('the Redis app', redisProject, redis.url);
  state.apps.push(app);
  const jobId = `readme-${randomUUID()}`;
  const started = Date.now();
  await startJob(app, jobId);
  const follower = (state.follower = follow(progressUrl(app.url, jobId)));
  await follower.waitForEvents(2, EVENTS_TIMEOUT_MS);
  const figures: Record<string, unknown> = {};

  const holdAppend = trouble.kind === 'stall' || trouble.appendInFlight;
  if (holdAppend) {
    const pause = trouble.kind === 'stall' ? STALL_MS : OUTAGE_MS; // the shutdown ends an outage's pause
    assert.match(await redis.command(['CLIENT', 'PAUSE', String(pause), 'WRITE']), /^\+OK/);
    await waitForHeldAppend(redis);
    figures.appendHeldAt = `${((Date.now() - follower.createdAt) / 1000).toFixed(1)}s`;
  }
  if (trouble.kind === 'outage') {
    const down = await runToExit('redis-cli', ['-p', String(redis.port), 'shutdown', 'nosave'], { cwd: work!, timeout: 10_000 });
    await redis.shutdown({ save: false }); // waits for the process to exit (nothing left to send)
    const outageStartMs = Date.now() - follower.createdAt;
    const eventsBeforeOutage = follower.events.length;
    const requestsBeforeOutage = follower.requests.length;
    await sleep(OUTAGE_MS);
    assertStayedUp(app);
    assert.equal(follower.closedState, undefined, `the client stopped during the outage: ${follower.describe()}`);
    const eventsDuringOutage = follower.events.length - eventsBeforeOutage;
    const requestsDuringOutage = follower.requests.length - requestsBeforeOutage;
    await redis.restart();
    assert.ok(
      eventsBeforeOutage + eventsDuringOutage < EXPECTED_PERCENTS.length,
      'the job could not finish while Redis was down: its appends waited for it',
    );
    Object.assign(figures, {
      redisCliShutdownExit: down.exitCode,
      outage: `${(outageStartMs / 1000).toFixed(1)}s to ${((Date.now() - follower.createdAt) / 1000).toFixed(1)}s`,
      eventsBeforeOutage,
      eventsDuringOutage,
      requestsSentDuringOutage: requestsDuringOutage,
    });
  }

  const closed = await follower.waitForClosed(COMPLETION_TIMEOUT_MS);
  // A stall lets the append the job retried run after all: that event (and only that one) may
  // come twice, in a row. Every other case must deliver each event exactly once.
  assertEveryEventOnce(follower, trouble.kind === 'stall' ? 1 : 0);
  assertClosedByCompletion(follower, closed);
  assertStayedUp(app);
  const name =
    trouble.kind === 'stall'
      ? `Redis stalled ${STALL_MS / 1000} s, an append in flight`
      : `Redis outage of ${OUTAGE_MS / 1000} s${trouble.appendInFlight ? ', an append in flight' : ''}`;
  report(name, follower, { ...figures, jobToClosedMs: Date.now() - started, appWarnings: warningsOf(app) });
}

describe('reading the Quick start out of README.md', () => {
  const block = (name: string, body = 'export {};'): string => `\`\`\`ts\n// ${name}\n${body}\n\`\`\`\n`;
  const readme = (quickStart: string[], redis = [block('app.module.ts')]): string =>
    [
      '# title\n',
      '## Install\n',
      `\`\`\`sh\nnpm install ${PACKAGE_NAME} @nestjs/cache-manager cache-manager\n\`\`\`\n`,
      '## Quick start\n',
      ...quickStart,
      '## Several instances: Redis\n',
      'The module on Redis (`npm install @keyv/redis`):\n',
      ...redis,
      '```ts\nSseEventStoreModule.forRootAsync({});\n```\n',
      '## Configuration\n',
      block('other.ts'),
    ].join('\n');
  const quickStartFiles = QUICK_START_FILES.map((name) => block(name));

  test('takes the three files and the Redis module, and the packages the install lines name', () => {
    const { memory, redis } = extractVariants(readme(quickStartFiles, [block('app.module.ts', 'export const redis = 1;')]));
    assert.deepEqual(Object.keys(memory.blocks).sort(), [...QUICK_START_FILES].sort());
    assert.equal(memory.blocks['main.ts'].code, '// main.ts\nexport {};\n');
    assert.equal(redis.blocks['app.module.ts'].code, '// app.module.ts\nexport const redis = 1;\n');
    assert.equal(redis.blocks['jobs.controller.ts'], memory.blocks['jobs.controller.ts']);
    assert.ok(memory.packages.includes('cache-manager') && !memory.packages.includes('@keyv/redis'));
    assert.ok(redis.packages.includes('@keyv/redis') && !redis.packages.includes(PACKAGE_NAME));
  });

  test('fails, naming the problem, when a file is missing, doubled, a ```ts block is not accounted for, or the install line is missing', () => {
    assert.throws(() => extractVariants(readme(quickStartFiles.slice(0, 2))), /no ```ts block starts with "\/\/ main\.ts"/);
    assert.throws(() => extractVariants(readme([...quickStartFiles, block('main.ts')])), /2 ```ts blocks start with "\/\/ main\.ts"/);
    assert.throws(() => extractVariants(readme([...quickStartFiles, '```ts\nconst unnamed = 1;\n```\n'])), /is not one of app\.module\.ts/);
    assert.throws(() => extractVariants(readme([...quickStartFiles, block('extra.service.ts')])), /is not one of/);
    assert.throws(() => extractVariants(readme(quickStartFiles, [])), /has 0 ```ts blocks starting with "\/\/ app\.module\.ts"/);
    const withoutInstall = readme(quickStartFiles).replace(`npm install ${PACKAGE_NAME}`, 'npm ci #');
    assert.throws(
      () => extractVariants(withoutInstall),
      /"## Install" \(line \d+\) has no "npm install nestjs-sse-event-store \.\.\." line/,
    );
  });
});

describe('the README Quick start, compiled and run', () => {
  test('in memory: the client follows a job to its completion, then stops for good', { timeout: 90_000 }, () =>
    diagnosed('in memory, to completion', async (state) => {
      const app = await startApp('the in-memory app', memoryProject);
      state.apps.push(app);
      const jobId = `readme-${randomUUID()}`;
      await startJob(app, jobId);
      const follower = (state.follower = follow(progressUrl(app.url, jobId)));

      const closed = await follower.waitForClosed(COMPLETION_TIMEOUT_MS);
      assertEveryEventOnce(follower);
      assertClosedByCompletion(follower, closed);

      // CLOSED is final: no request goes out any more.
      const requestsAtClose = follower.requests.length;
      await sleep(QUIET_AFTER_CLOSE_MS);
      assert.equal(
        follower.requests.length,
        requestsAtClose,
        `the client made ${follower.requests.length - requestsAtClose} requests after it stopped`,
      );
      assertStayedUp(app);
      report('in memory, to completion', follower, { requestsInThe10sAfterClose: follower.requests.length - requestsAtClose });
    }),
  );

  test('on Redis: a 10 s Redis outage mid-stream loses and repeats nothing, and the process stays up', { timeout: 120_000 }, () =>
    diagnosed('Redis outage of 10 s', (state) => followThroughRedisTrouble(state, { kind: 'outage', appendInFlight: false })),
  );

  // The same outage, with the moment it starts chosen: while one of the job's appends is on its
  // way (held by CLIENT PAUSE, then dropped by the shutdown). The plain outage above meets this
  // moment now and then by chance.
  test('on Redis: a 10 s Redis outage that starts while an append is in flight loses and repeats nothing', { timeout: 120_000 }, () =>
    diagnosed('Redis outage of 10 s, an append in flight', (state) =>
      followThroughRedisTrouble(state, { kind: 'outage', appendInFlight: true }),
    ),
  );

  test(
    'on Redis: Redis stalled past operationTimeout while an append is in flight: nothing lost or reordered; only the unconfirmed append may repeat',
    { timeout: 120_000 },
    () => diagnosed('Redis stalled 8 s, an append in flight', (state) => followThroughRedisTrouble(state, { kind: 'stall' })),
  );

  test('on Redis: kill -9 of the instance the client reads from, and the client resumes on another', { timeout: 90_000 }, () =>
    diagnosed('kill -9 of the instance the client reads from', async (state) => {
      const redis = (state.redis = await startRedisServer());
      redisServers.push(redis);
      const [instanceA, instanceB] = await Promise.all([
        startApp('instance A', redisProject, redis.url),
        startApp('instance B', redisProject, redis.url),
      ]);
      state.apps.push(instanceA, instanceB);
      const front = await FailoverFront.start([
        { name: 'A', port: instanceA.port },
        { name: 'B', port: instanceB.port },
      ]);
      state.front = front;
      fronts.push(front);
      const jobId = `readme-${randomUUID()}`;
      // The job runs on B; the client reads through the front, from A while A runs.
      await startJob(instanceB, jobId);
      const follower = (state.follower = follow(progressUrl(front.url, jobId)));
      await follower.waitForEvents(3, EVENTS_TIMEOUT_MS);
      assert.ok(
        front.connections.length > 0 && front.connections.every((connection) => connection.target === 'A'),
        `the client reads from A before the kill: ${JSON.stringify(front.connections)}`,
      );

      const connectionsBeforeKill = front.connections.length;
      const eventsBeforeKill = follower.events.length;
      const killedAtMs = Date.now() - follower.createdAt;
      const exit = await instanceA.kill('SIGKILL');
      assert.equal(exit.signal, 'SIGKILL');

      const closed = await follower.waitForClosed(COMPLETION_TIMEOUT_MS);
      assertEveryEventOnce(follower);
      assertClosedByCompletion(follower, closed);
      const afterKill = front.connections.slice(connectionsBeforeKill);
      assert.ok(afterKill.length > 0, 'the client reconnected after A was killed');
      assert.ok(
        afterKill.every((connection) => connection.target === 'B'),
        `after the kill the client is served by B: ${JSON.stringify(afterKill)}`,
      );
      assert.ok(follower.events.length > eventsBeforeKill, 'B delivered the rest of the stream');
      assertStayedUp(instanceB);
      report('kill -9 of the instance the client reads from', follower, {
        killedAt: `${(killedAtMs / 1000).toFixed(1)}s`,
        eventsBeforeKill,
        eventsAfterKill: follower.events.length - eventsBeforeKill,
        connectionsToA: front.connections.filter((connection) => connection.target === 'A').length,
        connectionsToB: front.connections.filter((connection) => connection.target === 'B').length,
        instanceBWarnings: warningsOf(instanceB),
      });
    }),
  );
});
