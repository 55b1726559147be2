import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import type { FromClientProcess, SoakClientSpec, ToClientProcess } from './client-fleet-protocol';

/** The compiled client process, next to this file. */
const CLIENT_PROCESS_MAIN = path.join(__dirname, 'soak-client-process.js');

type Ended = Extract<FromClientProcess, { kind: 'ended' }>;

/** One forked client process and the messages it answered with so far. */
class ClientProcess {
  private readonly waiting = new Map<FromClientProcess['kind'], (message: FromClientProcess) => void>();
  private readonly arrived = new Map<FromClientProcess['kind'], FromClientProcess>();
  private failure?: Error;
  private reported = false;
  private readonly failed: Promise<never>;

  constructor(readonly child: ChildProcess) {
    this.failed = new Promise<never>((_, reject) => {
      const fail = (error: Error): void => {
        this.failure ??= error;
        reject(this.failure);
      };
      child.on('message', (message: FromClientProcess) => {
        if (message.kind === 'ended') this.reported = true;
        if (message.kind === 'failed') fail(new Error(`a client process failed: ${message.error}`));
        const waiter = this.waiting.get(message.kind);
        if (waiter) {
          this.waiting.delete(message.kind);
          waiter(message);
        } else this.arrived.set(message.kind, message);
      });
      child.once('exit', (code, signal) => {
        if (!this.reported) fail(new Error(`a client process exited (code ${code}, signal ${signal}) before its clients ended`));
      });
    });
    // Observed by whoever waits; a failure nobody waits for is not an unhandled rejection.
    this.failed.catch(() => undefined);
  }

  send(message: ToClientProcess): void {
    if (this.child.connected) this.child.send(message);
  }

  /** The next message of `kind` (or one that came already); rejects if the process fails first. */
  next<K extends FromClientProcess['kind']>(kind: K): Promise<Extract<FromClientProcess, { kind: K }>> {
    const early = this.arrived.get(kind);
    if (early) {
      this.arrived.delete(kind);
      return Promise.resolve(early as Extract<FromClientProcess, { kind: K }>);
    }
    const answer = new Promise<Extract<FromClientProcess, { kind: K }>>((resolve) =>
      this.waiting.set(kind, resolve as (message: FromClientProcess) => void),
    );
    return Promise.race([answer, this.failed]);
  }
}

/**
 * The soak's SSE clients, spread over forked processes (clients by index, round robin): one
 * process reading a thousand event streams would itself be the bottleneck on a busy machine and
 * delay the deliveries it times. Each process times deliveries on the same clock as the publisher.
 */
export class ClientFleet {
  private constructor(private readonly processes: ClientProcess[]) {}

  static start(processCount: number): ClientFleet {
    return new ClientFleet(
      Array.from(
        { length: processCount },
        () =>
          new ClientProcess(fork(CLIENT_PROCESS_MAIN, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })),
      ),
    );
  }

  get pids(): number[] {
    return this.processes.map((process) => process.child.pid!);
  }

  /** Starts the clients and resolves once each got an answer to its first request. */
  async connect(baseUrls: string[], retryMs: number, clients: SoakClientSpec[]): Promise<void> {
    await Promise.all(
      this.processes.map((process, at) => {
        process.send({
          kind: 'start',
          baseUrls,
          retryMs,
          clients: clients.filter((client) => client.index % this.processes.length === at),
        });
        return process.next('connected');
      }),
    );
  }

  setGeneration(instance: number, generation: number): void {
    for (const process of this.processes) process.send({ kind: 'generation', instance, generation });
  }

  /** Tells every client the streams' last ids, and resolves once every process has them: only then may the streams end. */
  async completing(lastIds: Record<number, string | undefined>): Promise<void> {
    await Promise.all(
      this.processes.map((process) => {
        process.send({ kind: 'completing', lastIds });
        return process.next('completing-noted');
      }),
    );
  }

  /** Resolves with every process's report once all its clients ended. */
  async ended(): Promise<Ended[]> {
    const reports = await Promise.all(
      this.processes.map((process) => {
        process.send({ kind: 'report' });
        return process.next('ended');
      }),
    );
    for (const process of this.processes) process.child.disconnect();
    return reports;
  }

  /** Makes every client disconnect and stop. */
  stop(): void {
    for (const process of this.processes) process.send({ kind: 'stop' });
  }

  /** Kills what is still running (after a failure). */
  kill(): void {
    for (const process of this.processes) if (process.child.exitCode === null) process.child.kill('SIGKILL');
  }
}
