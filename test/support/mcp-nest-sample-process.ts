import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { sampleEnvironment } from './sample-environment';

/**
 * The compiled `@rekog/mcp-nest` sample, next to the compiled tests (build/sample/mcp-nest/main.js
 * when the tests run from build/, as in CI; wherever `tsc --outDir` put both otherwise).
 */
const MCP_NEST_SAMPLE_MAIN = path.join(__dirname, '../../sample/mcp-nest/main.js');
/** Start-up takes a second or two; this only turns a hang into a failure. */
const START_TIMEOUT_MS = 30_000;
/** How long `stop()` lets a SIGTERM work before it kills. */
const STOP_GRACE_MS = 10_000;
const MAX_OUTPUT_CHARS = 200_000;
const LISTENING = /Listening on (http:\/\/localhost:(\d+))/;

/** Children still running, killed if the test process ends without stopping them. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * The `@rekog/mcp-nest` sample (`node sample/mcp-nest/main.js`) as a child process on a free
 * port, in memory or on Redis, ready to take requests at `${url}/mcp`.
 */
export class McpNestSampleProcess {
  private constructor(
    private readonly child: ChildProcess,
    /** `http://localhost:<port>` */
    readonly url: string,
    /** Resolves with the exit code (or signal) once the process has exited. */
    readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
    private readonly log: { text: string },
  ) {}

  /** Starts the sample and resolves once it listens; rejects (with its output) if it exits or hangs first. */
  static start(options: { redisUrl?: string } = {}): Promise<McpNestSampleProcess> {
    const env = sampleEnvironment(0, options.redisUrl);
    const child = spawn(process.execPath, [MCP_NEST_SAMPLE_MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    const log = { text: '' };
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child);
        resolve({ code, signal });
      });
    });
    return new Promise<McpNestSampleProcess>((resolve, reject) => {
      let settled = false;
      const fail = (reason: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`The mcp-nest sample (${MCP_NEST_SAMPLE_MAIN}) ${reason}. Its output:\n${log.text}`));
      };
      const timer = setTimeout(() => fail(`did not start within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
      const collect = (chunk: Buffer): void => {
        log.text = (log.text + chunk.toString('utf8')).slice(-MAX_OUTPUT_CHARS);
        const listening = settled ? null : LISTENING.exec(log.text);
        if (!listening) return;
        settled = true;
        clearTimeout(timer);
        resolve(new McpNestSampleProcess(child, listening[1], exited, log));
      };
      child.stdout!.on('data', collect);
      child.stderr!.on('data', collect);
      child.once('error', (error) => fail(`could not be started (${error.message})`));
      void exited.then(({ code, signal }) => fail(`exited before listening (code ${code}, signal ${signal})`));
    });
  }

  /** Everything the process wrote so far (stdout and stderr). */
  output(): string {
    return this.log.text;
  }

  /** Stops the process: SIGTERM (a graceful shutdown), then SIGKILL if it still runs after a grace period. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
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
