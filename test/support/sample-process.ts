import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { sampleEnvironment } from './sample-environment';

/**
 * The compiled sample apps, next to the compiled tests (build/sample/ when the tests run from
 * build/, as in CI; wherever `tsc --outDir` put both otherwise): the SSE sample, and the
 * `@rekog/mcp-nest` sample that serves `/mcp`.
 */
const SAMPLE_MAINS = {
  sse: path.join(__dirname, '../../sample/main.js'),
  'mcp-nest': path.join(__dirname, '../../sample/mcp-nest/main.js'),
} as const;
/** Start-up takes a second or two; this only turns a hang into a failure. */
const START_TIMEOUT_MS = 30_000;
/** How long `stop()` lets a SIGTERM work before it kills. */
const STOP_GRACE_MS = 10_000;
const MAX_OUTPUT_CHARS = 200_000;
const LISTENING = /Listening on (http:\/\/localhost:(\d+))/;

export interface SampleProcessOptions {
  /** Which sample app to start (default `sse`). */
  sample?: keyof typeof SAMPLE_MAINS;
  /** Port to listen on; 0 (default) lets the system pick a free one. */
  port?: number;
  /** Shares streams through this Redis (under `SAMPLE_KEY_PREFIX`); without it the sample keeps them in memory. */
  redisUrl?: string;
  /** Options for node itself, before the sample's script (e.g. `--require` of a probe). */
  nodeArguments?: string[];
  /** More of the sample's environment (its settings, such as `SSE_RETRY_JITTER`). */
  env?: Record<string, string>;
}

export interface SampleExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Children still running, killed if the test process ends without stopping them. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * A sample app running as a child process (`node sample/main.js`, or `sample/mcp-nest/main.js`),
 * in memory or on Redis, ready to take requests.
 */
export class SampleProcess {
  private constructor(
    private readonly child: ChildProcess,
    /** `http://localhost:<port>` */
    readonly url: string,
    readonly port: number,
    /** Resolves when the process has exited. */
    readonly exited: Promise<SampleExit>,
    private readonly log: { text: string },
  ) {}

  /** Starts the sample and resolves once it listens; rejects (with its output) if it exits or hangs first. */
  static start(options: SampleProcessOptions = {}): Promise<SampleProcess> {
    const main = SAMPLE_MAINS[options.sample ?? 'sse'];
    const env = { ...sampleEnvironment(options.port ?? 0, options.redisUrl), ...options.env };
    const child = spawn(process.execPath, [...(options.nodeArguments ?? []), main], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    const log = { text: '' };
    const exited = new Promise<SampleExit>((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child);
        resolve({ code, signal });
      });
    });
    return new Promise<SampleProcess>((resolve, reject) => {
      let settled = false;
      const fail = (reason: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`The sample app (${main}) ${reason}. Its output:\n${log.text}`));
      };
      const timer = setTimeout(() => fail(`did not start within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
      const collect = (chunk: Buffer): void => {
        log.text = (log.text + chunk.toString('utf8')).slice(-MAX_OUTPUT_CHARS);
        const listening = settled ? null : LISTENING.exec(log.text);
        if (!listening) return;
        settled = true;
        clearTimeout(timer);
        resolve(new SampleProcess(child, listening[1], Number(listening[2]), exited, log));
      };
      child.stdout!.on('data', collect);
      child.stderr!.on('data', collect);
      child.once('error', (error) => fail(`could not be started (${error.message})`));
      void exited.then(({ code, signal }) => fail(`exited before listening (code ${code}, signal ${signal})`));
    });
  }

  /** The process id (for reading its memory figures from /proc). */
  get pid(): number {
    return this.child.pid!;
  }

  /** Everything the process wrote so far (stdout and stderr). */
  output(): string {
    return this.log.text;
  }

  /** Sends the signal and resolves once the process has exited. */
  async kill(signal: NodeJS.Signals): Promise<SampleExit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  /** Stops the process: SIGTERM (a graceful shutdown), then SIGKILL if it is still running after a grace period. Safe to call twice. */
  async stop(): Promise<SampleExit> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    this.child.kill('SIGTERM');
    const grace = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    try {
      return await this.exited;
    } finally {
      clearTimeout(grace);
    }
  }
}
