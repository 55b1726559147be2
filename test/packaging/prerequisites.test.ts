// `npm test` sets up what the suite needs (test/prerequisites.mjs) before it builds and runs it:
// it stops at once, with one message naming the command to run, when it cannot (here: not root,
// Chromium missing); it starts a private redis-server when nothing answers at REDIS_URL, and
// stops it at the end however the wrapped command ends.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { existsSync, realpathSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findRepositoryRoot } from './packed-package';

const root = findRepositoryRoot();
const script = join(root, 'test', 'prerequisites.mjs');
const NOBODY = 65534;

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

interface Running {
  pid: number;
  /** Resolves once stdout holds a line matching `pattern`; with the match. */
  waitForLine(pattern: RegExp): Promise<RegExpMatchArray>;
  finished: Promise<Finished>;
}

/** Starts a command; it is killed (and the test fails on its result) after `timeoutMs`. */
function start(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Running {
  const began = Date.now();
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: (match: RegExpMatchArray) => void }[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const waiter of [...waiters]) {
      const match = stdout.match(waiter.pattern);
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const finished = new Promise<Finished>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const elapsedMs = Date.now() - began;
      clearTimeout(timer);
      // The rest of its output, unless a process it left behind holds the pipes open.
      const closed = new Promise((done) => child.once('close', done));
      void Promise.race([closed, new Promise((done) => setTimeout(done, 2_000))]).then(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        resolve({ code, signal, stdout, stderr, elapsedMs });
      });
    });
  });
  return {
    pid: child.pid!,
    finished,
    waitForLine: (pattern) =>
      new Promise((resolve, reject) => {
        const match = stdout.match(pattern);
        if (match) return resolve(match);
        waiters.push({ pattern, resolve });
        finished.then((result) =>
          reject(new Error(`exited (${result.code ?? result.signal}) before printing ${pattern}:\n${result.stdout}\n${result.stderr}`)),
        );
      }),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** PING on 127.0.0.1:port: the reply's first line, or the connection error's code (e.g. ECONNREFUSED). */
function ping(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(2_000, () => {
      socket.destroy();
      resolve('TIMEOUT');
    });
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.once('data', (data: Buffer) => {
      socket.destroy();
      resolve(data.toString().split('\r\n')[0]);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

async function waitUntilGone(pid: number): Promise<boolean> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

/**
 * The wrapped command: pings the Redis on PORT, asks it for its process id, prints both with its
 * own pid on one line, then exits with EXIT_CODE, or waits to be signalled when EXIT_CODE is "wait".
 */
const pinger = `
const socket = require('node:net').connect({ host: '127.0.0.1', port: Number(process.env.PORT) });
let answer = '';
socket.on('connect', () => socket.write('*1\\r\\n$4\\r\\nPING\\r\\n*2\\r\\n$4\\r\\nINFO\\r\\n$6\\r\\nserver\\r\\n'));
socket.on('error', (error) => { console.log('PINGER ' + JSON.stringify({ error: error.code })); process.exit(9); });
socket.on('data', (data) => {
  answer += data;
  const pid = /process_id:(\\d+)/.exec(answer);
  if (!pid) return;
  socket.destroy();
  console.log('PINGER ' + JSON.stringify({ pong: answer.startsWith('+PONG'), redisPid: Number(pid[1]), pid: process.pid }));
  if (process.env.EXIT_CODE === 'wait') setInterval(() => {}, 1000);
  else process.exit(Number(process.env.EXIT_CODE));
});
`;

interface PingerLine {
  pong: boolean;
  redisPid: number;
  pid: number;
}

describe('npm test, when it cannot set up (not root, Chromium missing)', () => {
  let work: string;

  before(async () => {
    work = realpathSync(await mkdtemp(join(tmpdir(), 'sse-prerequisites-')));
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('stops at once with one message naming the command, a non-zero exit, and nothing started', { timeout: 60_000 }, async () => {
    // A clean copy of what `npm test` runs before anything is built, readable by the other user.
    const copy = join(work, 'repo');
    await mkdir(join(copy, 'test'), { recursive: true });
    await copyFile(join(root, 'package.json'), join(copy, 'package.json'));
    await copyFile(script, join(copy, 'test', 'prerequisites.mjs'));
    // PATH has node, npm, sh and the Redis binaries, and no Chromium (Debian's /usr/bin has it).
    const bin = join(work, 'bin');
    await mkdir(bin);
    const tools: Record<string, string | undefined> = {
      node: process.execPath,
      npm: findOnPath('npm'),
      sh: findOnPath('sh'),
      'redis-server': findOnPath('redis-server'),
      'redis-cli': findOnPath('redis-cli'),
    };
    for (const [name, target] of Object.entries(tools)) {
      assert.ok(target, `${name} is not on PATH`);
      await symlink(realpathSync(target), join(bin, name));
    }
    const home = join(work, 'home');
    await mkdir(home);
    for (const directory of [work, copy, join(copy, 'test'), bin]) await chmod(directory, 0o755);
    await chmod(home, 0o777);

    const port = await freePort();
    assert.equal(await ping(port), 'ECONNREFUSED', 'nothing answers on the free port');
    const env: NodeJS.ProcessEnv = {
      PATH: bin,
      HOME: home,
      npm_config_cache: join(home, '.npm'),
      npm_config_update_notifier: 'false',
      CHROMIUM_PATH: join(work, 'no-chromium-here'),
      REDIS_URL: `redis://127.0.0.1:${port}`,
    };
    // As root, the refusal is tested as the unprivileged user nobody; otherwise as this user.
    const asRoot = process.getuid?.() === 0;
    const setpriv = findOnPath('setpriv');
    if (asRoot) assert.ok(setpriv, 'setpriv (util-linux) is not on PATH');
    const [command, args] = asRoot
      ? [setpriv!, [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', join(bin, 'npm'), 'test']]
      : [join(bin, 'npm'), ['test']];
    const result = await start(command, args, { cwd: copy, env, timeoutMs: 30_000 }).finished;
    const output = `exit ${result.code ?? result.signal} after ${result.elapsedMs} ms\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;

    assert.notEqual(result.code, 0, output);
    assert.equal(result.signal, null, output);
    assert.ok(result.elapsedMs < 10_000, `took ${result.elapsedMs} ms, more than 10 s:\n${output}`);
    const ours = result.stderr.split('\n').filter((line) => line.startsWith('npm test: '));
    assert.ok(ours.length >= 1 && ours.length <= 2, `one message of one or two lines:\n${output}`);
    const message = ours.join('\n');
    assert.match(message, /CHROMIUM_PATH=\S*no-chromium-here/, output);
    assert.match(message, /`sudo apt-get update && sudo apt-get install -y chromium[a-z -]*`/, output);
    assert.doesNotMatch(result.stdout + result.stderr, /^\s+at /m, `no stack trace:\n${output}`);
    // It stopped before building anything, and started no Redis.
    assert.equal(existsSync(join(copy, 'build')), false, output);
    assert.equal(await ping(port), 'ECONNREFUSED', output);
  });
});

describe('npm test, when no Redis answers at REDIS_URL', () => {
  let port: number;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    port = await freePort();
    env = {
      ...process.env,
      REDIS_URL: `redis://127.0.0.1:${port}`,
      PORT: String(port),
      // Any executable stands in for Chromium: this test is about Redis, and must not install a browser.
      CHROMIUM_PATH: process.execPath,
    };
  });

  async function wrapped(exitCode: string): Promise<{ running: Running; line: PingerLine }> {
    assert.equal(await ping(port), 'ECONNREFUSED', 'nothing answers on the port before');
    const running = start(process.execPath, [script, '--exec', process.execPath, '-e', pinger], {
      cwd: root,
      env: { ...env, EXIT_CODE: exitCode },
    });
    const match = await running.waitForLine(/^PINGER (.*)$/m);
    return { running, line: JSON.parse(match[1]) as PingerLine };
  }

  test('starts a private redis-server there for the wrapped command, and stops it after', { timeout: 60_000 }, async () => {
    const { running, line } = await wrapped('0');
    const result = await running.finished;
    const output = `exit ${result.code ?? result.signal}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
    assert.equal(line.pong, true, output);
    assert.ok(line.redisPid > 0, output);
    assert.equal(result.code, 0, output);
    assert.match(result.stdout, new RegExp(`started a private redis-server there \\(pid ${line.redisPid}\\)`), output);
    assert.equal(await ping(port), 'ECONNREFUSED', `the private Redis still answers after the command ended:\n${output}`);
    assert.equal(await waitUntilGone(line.redisPid), true, `redis-server ${line.redisPid} still runs:\n${output}`);
  });

  test('passes on the wrapped command failing, and still stops the server', { timeout: 60_000 }, async () => {
    const { running, line } = await wrapped('3');
    const result = await running.finished;
    const output = `exit ${result.code ?? result.signal}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
    assert.equal(line.pong, true, output);
    assert.equal(result.code, 3, output);
    assert.equal(await ping(port), 'ECONNREFUSED', output);
    assert.equal(await waitUntilGone(line.redisPid), true, `redis-server ${line.redisPid} still runs:\n${output}`);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`on ${signal}, ends the wrapped command and stops the server`, { timeout: 60_000 }, async () => {
      const { running, line } = await wrapped('wait');
      assert.equal(line.pong, true);
      process.kill(running.pid, signal);
      const result = await running.finished;
      const output = `exit ${result.code ?? result.signal}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
      assert.notEqual(result.code, 0, output);
      assert.equal(await waitUntilGone(line.pid), true, `the wrapped command ${line.pid} still runs:\n${output}`);
      assert.equal(await ping(port), 'ECONNREFUSED', output);
      assert.equal(await waitUntilGone(line.redisPid), true, `redis-server ${line.redisPid} still runs:\n${output}`);
    });
  }
});

function findOnPath(name: string): string | undefined {
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(directory, name);
    if (directory && existsSync(candidate)) return candidate;
  }
  return undefined;
}
