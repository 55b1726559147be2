// What `npm test` runs: makes sure the test suite's prerequisites are there, runs the suite, and
// stops whatever it started for it. Plain Node, no dependencies: it runs before anything is built.
//
//   node test/prerequisites.mjs [FILTER]           set up; `npm run build:all`; `node test/run-tests.mjs [FILTER]`
//   node test/prerequisites.mjs --exec CMD [ARG...] set up; run CMD; clean up (used by its own test)
//
// The suite needs:
// - the `redis-server` and `redis-cli` binaries (the fault tests start servers of their own);
// - Chromium at CHROMIUM_PATH, else /usr/bin/chromium (Debian's `chromium`), for the browser test;
// - a Redis answering at REDIS_URL (default redis://127.0.0.1:6379).
// Missing binaries are installed with apt-get (Debian's `redis-server` and `chromium` packages)
// when running as root where apt-get exists; otherwise it stops at once with one message naming
// the command to run. When nothing listens at a loopback REDIS_URL, it starts a private
// redis-server on that port (no persistence, in a temporary directory) and stops it at the end,
// also when the suite fails or is interrupted (SIGINT, SIGTERM, SIGHUP).
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { constants as osConstants, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PREFIX = 'npm test: ';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const DEFAULT_CHROMIUM = '/usr/bin/chromium';
const PROBE_TIMEOUT_MS = 1_000;
const REDIS_START_TIMEOUT_MS = 10_000;
/** After the first SIGINT/SIGTERM/SIGHUP, how long the wrapped command has to end before it is killed. */
const KILL_AFTER_MS = 10_000;

const repository = dirname(dirname(fileURLToPath(import.meta.url)));

/** A reason to stop: printed as it is (one or two lines), never with a stack trace. */
class Refusal extends Error {}

const say = (line) => console.log(`${PREFIX}${line}`);

function isExecutableFile(path) {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The executable `name` on PATH, or undefined. */
function which(name) {
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    if (directory && isExecutableFile(join(directory, name))) return join(directory, name);
  }
  return undefined;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * Makes sure the binaries are there: installs the missing Debian packages when it may, else throws
 * a Refusal naming the command to run. Returns variables to set for the suite.
 */
function ensureBinaries() {
  const env = {};
  const packages = [];
  const missing = [];

  const configured = process.env.CHROMIUM_PATH;
  let badChromiumPath = false;
  if (configured) {
    badChromiumPath = !isExecutableFile(configured);
  } else if (!isExecutableFile(DEFAULT_CHROMIUM)) {
    const onPath = which('chromium');
    if (onPath) {
      env.CHROMIUM_PATH = onPath;
    } else {
      packages.push('chromium');
      missing.push(`Chromium (the browser test launches ${DEFAULT_CHROMIUM}, or CHROMIUM_PATH)`);
    }
  }
  const redisBinaries = ['redis-server', 'redis-cli'].filter((name) => !which(name));
  if (redisBinaries.length > 0) {
    packages.push('redis-server');
    missing.push(`${redisBinaries.join(' and ')} (the fault tests start Redis servers of their own)`);
  }

  if (badChromiumPath) {
    // Installing Debian's chromium would not help: the browser test launches CHROMIUM_PATH.
    const also = packages.length > 0 ? `; also missing: ${missing.join('; ')}` : '';
    throw new Refusal(
      `CHROMIUM_PATH=${configured} is not an executable file (the browser test launches it)${also}.\n` +
        `Point CHROMIUM_PATH at a Chromium binary, or unset it and run \`${aptCommand(['chromium', ...packages])}\`; then run npm test again.`,
    );
  }
  if (packages.length === 0) return env;

  const aptGet = which('apt-get');
  if (!isRoot() || !aptGet) {
    const why = !isRoot() ? 'not running as root' : 'apt-get not found';
    const chromiumHint = packages.includes('chromium') ? ', or set CHROMIUM_PATH to a Chromium binary' : '';
    throw new Refusal(
      `missing ${missing.join('; ')}, and ${why}, so not installing ${packages.join(' and ')}.\n` +
        `Run \`${aptCommand(packages)}\` (Debian's packages)${chromiumHint}; then run npm test again.`,
    );
  }

  say(`installing Debian's ${packages.join(' and ')} (missing: ${missing.join('; ')})`);
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', ...packages]]) {
    const result = spawnSync(aptGet, args, { stdio: ['ignore', 'inherit', 'inherit'], env: aptEnv });
    if (result.status !== 0) {
      throw new Refusal(
        `\`apt-get ${args.join(' ')}\` failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`}).\n` +
          `Install ${packages.join(' and ')} by hand (\`${aptCommand(packages, false)}\`), then run npm test again.`,
      );
    }
  }
  const stillMissing = [
    ...(packages.includes('chromium') && !isExecutableFile(DEFAULT_CHROMIUM) ? [DEFAULT_CHROMIUM] : []),
    ...['redis-server', 'redis-cli'].filter((name) => !which(name)),
  ];
  if (stillMissing.length > 0) {
    throw new Refusal(
      `installed ${packages.join(' and ')}, but ${stillMissing.join(' and ')} ${stillMissing.length > 1 ? 'are' : 'is'} still missing; install them by hand, then run npm test again.`,
    );
  }
  return env;
}

function aptCommand(packages, sudo = !isRoot()) {
  const prefix = sudo ? 'sudo ' : '';
  return `${prefix}apt-get update && ${prefix}apt-get install -y ${packages.join(' ')}`;
}

/**
 * Sends PING to host:port. 'answers' for a Redis reply (also an error such as NOAUTH), 'refused'
 * when nothing listens, 'silent' when something accepts the connection but gives no Redis reply
 * in time, 'unreachable' for any other failure.
 */
function probe(host, port) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let connected = false;
    const done = (state) => {
      socket.destroy();
      resolve(state);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(connected ? 'silent' : 'unreachable'));
    socket.once('connect', () => {
      connected = true;
      socket.write('*1\r\n$4\r\nPING\r\n');
    });
    // +PONG, or an error such as -NOAUTH: a Redis server. Anything else is not one.
    socket.once('data', (data) => done(/^[+-]/.test(data.toString('latin1')) ? 'answers' : 'silent'));
    socket.once('error', (error) => done(error.code === 'ECONNREFUSED' ? 'refused' : 'unreachable'));
    socket.once('end', () => done(connected ? 'silent' : 'unreachable'));
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A redis-server this script started; `stop()` ends it and removes its directory. */
let privateRedis;

/** Makes sure a Redis answers at REDIS_URL, starting a private redis-server when none listens there. */
async function ensureRedis() {
  const raw = process.env.REDIS_URL || DEFAULT_REDIS_URL;
  let url;
  try {
    url = new URL(raw);
  } catch {
    throw new Refusal('REDIS_URL is not a URL (expected e.g. redis://127.0.0.1:6379); fix or unset it, then run npm test again.');
  }
  if (url.protocol !== 'redis:') {
    say(`REDIS_URL uses ${url.protocol}; not checking that it answers.`);
    return;
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  const port = Number(url.port || 6379);
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const state = await probe(host, port);
  if (state === 'answers') return;
  const loopback = host === 'localhost' || host === '::1' || /^127\./.test(host);
  if (state !== 'refused' || !loopback) {
    const what = state === 'silent' ? 'something listens there but gives no Redis reply to PING' : 'it cannot be reached';
    throw new Refusal(
      `Redis does not answer at ${where} (REDIS_URL${process.env.REDIS_URL ? '' : ' default'}): ${what}.\n` +
        `Start Redis there (e.g. \`redis-server --port ${port}\`), or set REDIS_URL to a Redis that answers; then run npm test again.`,
    );
  }

  const bind = host === 'localhost' ? ['127.0.0.1', '-::1'] : [host];
  const directory = mkdtempSync(join(tmpdir(), 'npm-test-redis-'));
  const logFile = join(directory, 'redis.log');
  const log = openSync(logFile, 'a');
  const args = ['--port', String(port), '--bind', ...bind, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', directory];
  // A password in REDIS_URL (user "default" or none) is the one the tests will send.
  if (url.password && (!url.username || url.username === 'default')) args.push('--requirepass', decodeURIComponent(url.password));
  // A process group of its own: a Ctrl-C meant for the suite does not stop it before the suite has ended.
  const child = spawn('redis-server', args, { cwd: directory, stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  const exited = new Promise((resolve) => {
    child.once('exit', resolve);
    child.once('error', resolve);
  });
  let running = true;
  exited.then(() => (running = false));
  // The last resort, when this script ends without stop() (an uncaught error, process.exit).
  const killNow = () => {
    if (running) child.kill('SIGKILL');
    rmSync(directory, { recursive: true, force: true });
  };
  process.once('exit', killNow);
  privateRedis = {
    pid: child.pid,
    async stop() {
      if (running) {
        child.kill('SIGTERM');
        const stopped = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
        if (!stopped) {
          child.kill('SIGKILL');
          await exited;
        }
      }
      process.removeListener('exit', killNow);
      rmSync(directory, { recursive: true, force: true });
    },
  };

  const deadline = Date.now() + REDIS_START_TIMEOUT_MS;
  while ((await probe(host, port)) !== 'answers') {
    if (!running || Date.now() > deadline) {
      const output = readFileSync(logFile, 'utf8').trim().split('\n').slice(-1)[0] ?? '';
      await privateRedis.stop();
      privateRedis = undefined;
      throw new Refusal(
        `Redis did not answer at ${where}, and a private redis-server could not be started there${output ? ` (${output.trim()})` : ''}.\n` +
          `Start Redis at ${where} yourself, or set REDIS_URL to a Redis that answers; then run npm test again.`,
      );
    }
    await sleep(50);
  }
  say(`no Redis answered at ${where}: started a private redis-server there (pid ${child.pid}) for the tests; it is stopped at the end.`);
}

// ---- running the suite, or the command given with --exec ----

let current; // the running child: { child, exited }
let stopping; // the first signal received
let killTimer;

function onSignal(signal) {
  if (!stopping) {
    stopping = signal;
    killTimer = setTimeout(() => signalGroup('SIGKILL'), KILL_AFTER_MS);
    killTimer.unref();
  }
  signalGroup(signal);
}

/** Signals the running child's whole process group (the test runner and everything it started). */
function signalGroup(signal) {
  if (!current || current.done) return;
  try {
    process.kill(-current.child.pid, signal);
  } catch {
    current.child.kill(signal);
  }
}

/** Runs a command in a process group of its own; resolves with the exit code this script should report. */
function runChild(command, args, env) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'], env, detached: true });
    current = { child, done: false };
    child.once('error', (error) => {
      current.done = true;
      console.error(`${PREFIX}could not run ${command}: ${error.message}`);
      resolve(127);
    });
    child.once('exit', (code, signal) => {
      current.done = true;
      resolve(code ?? 128 + (osConstants.signals[signal] ?? 1));
    });
  });
}

async function main() {
  const argv = process.argv.slice(2);
  const commands =
    argv[0] === '--exec'
      ? [argv.slice(1)]
      : [
          ['npm', 'run', 'build:all'],
          [process.execPath, join(repository, 'test', 'run-tests.mjs'), ...argv],
        ];
  if (commands[0].length === 0) throw new Refusal('--exec needs a command to run.');

  const env = { ...process.env, ...ensureBinaries() };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, onSignal);
  let code = 0;
  try {
    await ensureRedis();
    for (const [command, ...args] of commands) {
      if (stopping) break;
      code = await runChild(command, args, env);
      if (code !== 0) break;
    }
  } finally {
    if (killTimer) clearTimeout(killTimer);
    if (privateRedis) {
      await privateRedis.stop();
      say(`stopped the private redis-server (pid ${privateRedis.pid}).`);
    }
  }
  return stopping ? 128 + (osConstants.signals[stopping] ?? 1) : code;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    const message = error instanceof Refusal ? error.message : `could not set up the tests: ${error?.message ?? error}`;
    for (const line of message.split('\n')) console.error(`${PREFIX}${line}`);
    process.exit(1);
  },
);
