import { type ChildProcess, spawn } from 'node:child_process';
import { type AddressInfo, connect, createServer } from 'node:net';

/** Start-up takes a second or two; this only turns a hang into a failure. */
const START_TIMEOUT_MS = 30_000;
const MAX_OUTPUT_CHARS = 500_000;

export interface NodeAppExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Children still running, killed if the test process ends without stopping them. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A free loopback port (the system's pick; free when this resolves). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * An application's compiled entry point run as `node <entry>` in its directory, with `PORT` set
 * to a free port, as a user would run it; ready once the port accepts connections.
 */
export class NodeAppProcess {
  private exitStatus?: NodeAppExit;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly port: number,
    /** Resolves when the process has exited. */
    readonly exited: Promise<NodeAppExit>,
    private readonly log: { text: string },
  ) {
    void exited.then((status) => (this.exitStatus = status));
  }

  /** Starts the app; rejects (with its output) if it exits or does not listen within 30 s. */
  static async start(options: { name: string; directory: string; entry: string; env: NodeJS.ProcessEnv }): Promise<NodeAppProcess> {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...options.env, PORT: String(port), NO_COLOR: '1' };
    delete env.FORCE_COLOR;
    const child = spawn(process.execPath, [options.entry], { cwd: options.directory, env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    const log = { text: '' };
    const collect = (chunk: Buffer): void => {
      log.text = (log.text + chunk.toString('utf8')).slice(-MAX_OUTPUT_CHARS);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const exited = new Promise<NodeAppExit>((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child);
        resolve({ code, signal });
      });
    });
    const app = new NodeAppProcess(options.name, child, port, exited, log);
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const failure = await Promise.race([
        spawnError.then((error) => `could not be started (${error.message})`),
        exited.then(({ code, signal }) => `exited before listening (code ${code}, signal ${signal})`),
        accepts(port).then((ok) => (ok ? null : undefined)),
      ]);
      if (failure === null) return app;
      if (failure === undefined && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      child.kill('SIGKILL');
      throw new Error(
        `${options.name} ${failure ?? `did not listen on port ${port} within ${START_TIMEOUT_MS} ms`}. Its output:\n${log.text}`,
      );
    }
  }

  /** `http://127.0.0.1:<port>` */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Set once the process has exited. */
  get exit(): NodeAppExit | undefined {
    return this.exitStatus;
  }

  /** Everything the process wrote so far (stdout and stderr, the last 500,000 characters). */
  output(): string {
    return this.log.text;
  }

  /** Sends the signal and resolves once the process has exited. */
  async kill(signal: NodeJS.Signals): Promise<NodeAppExit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}
