import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A redis-server process of a test's own, which the test may stop and start again. */
export interface RedisServerProcess {
  readonly port: number;
  readonly url: string;
  /**
   * `SHUTDOWN NOSAVE`, or `SHUTDOWN SAVE` to write the data set to the server's dump file
   * first (so {@link restart} brings back exactly what the server held when it stopped).
   * Resolves once the process has exited.
   */
  shutdown(options: { save: boolean }): Promise<void>;
  /** SIGKILL; resolves once the process has exited. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and directory, loading the dump file if one was saved. */
  restart(): Promise<void>;
  /** Kills the server if it runs and removes its directory. Safe to call more than once. */
  dispose(): Promise<void>;
  /**
   * Sends one command on a connection of its own and resolves with the start of the raw RESP
   * answer (`+OK`, `+PONG`, ...); rejects when nothing arrives within `timeoutMs`. For commands
   * a test needs outside any client under test: `CLIENT PAUSE`, or a `PING` that waits a stall out.
   */
  command(args: string[], timeoutMs?: number): Promise<string>;
}

/** How a test wants its server configured beyond the defaults. */
export interface RedisServerOptions {
  /** Extra `redis-server` arguments, e.g. `['--maxmemory', '2mb']` or `['--enable-debug-command', 'yes']`. */
  args?: string[];
}

const READY_TIMEOUT_MS = 10_000;

/**
 * Starts `redis-server` on a free loopback port, without persistence of its own, in a fresh
 * temporary directory, and resolves once it answers PING. Rejects when the binary is missing
 * or the server does not come up: tests that need it fail rather than skip.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerProcess> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'sse-redis-'));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const killOnExit = (): void => void child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const isRunning = (): boolean => child !== undefined && child.exitCode === null && child.signalCode === null;

  const start = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...(options.args ?? [])];
    const process_ = spawn('redis-server', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child = process_;
    let output = '';
    process_.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    process_.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    exited = new Promise((resolve) => process_.once('exit', () => resolve()));
    const failed = new Promise<never>((_, reject) => {
      process_.once('error', (error) => reject(new Error(`redis-server could not be started: ${error.message}`)));
      process_.once('exit', (code, signal) =>
        reject(new Error(`redis-server exited before it was ready (${code ?? signal}): ${output.slice(-2000)}`)),
      );
    });
    failed.catch(() => undefined);
    await Promise.race([waitForPong(port), failed]);
  };

  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (isRunning()) child!.kill(signal);
    await exited;
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async shutdown({ save }) {
      if (!isRunning()) return;
      // The server closes the connection without a reply when SHUTDOWN succeeds.
      await sendCommand(port, ['SHUTDOWN', save ? 'SAVE' : 'NOSAVE']).catch(() => undefined);
      await exited;
    },
    kill: () => stop('SIGKILL'),
    async restart() {
      if (isRunning()) throw new Error('redis-server is still running');
      await start();
    },
    async dispose() {
      await stop('SIGKILL');
      process.removeListener('exit', killOnExit);
      await rm(dir, { recursive: true, force: true });
    },
    command: (args, timeoutMs) => sendCommand(port, args, timeoutMs),
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

async function waitForPong(port: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    try {
      if ((await sendCommand(port, ['PING'])).startsWith('+PONG')) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING within ${READY_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Sends one command in RESP and resolves with the first chunk of the answer ('' when the server just closes). */
function sendCommand(port: number, args: string[], timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let answer = '';
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    socket.once('error', reject);
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      socket.end();
    });
    socket.once('close', () => resolve(answer));
    socket.write(`*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`);
  });
}
