import { type ChildProcess, spawn } from 'node:child_process';
import { Logger } from '@nestjs/common';
import type { SseEventStorage, SseEventStreamWriter } from '../../lib';
import { createSseEventStore } from '../../lib/testing';
import { bounded } from './bounded';
import { createTestCache } from './caches';

/**
 * A store in a Node process of its own, on the shared Redis (REDIS_URL), driven by the test over
 * IPC: as one instance of an application among several. Run as a script, this file is that
 * process; imported, it starts and drives one.
 */

/** What the test asks the process to do. */
export type StoreProcessRequest =
  /** Creates the streams in the session at once, writes `events` events to each and keeps the writers open. */
  | { op: 'create'; sessionId: string; streamIds: string[]; events: number }
  /** One more event on each open writer of the session. */
  | { op: 'write'; sessionId: string }
  | { op: 'delete'; sessionId: string };

/** A store error as it crosses the process boundary. */
export interface FailureReply {
  name: string;
  code?: string;
  message: string;
}

/** One stream the process created, and the ids of the events it wrote. */
export interface CreatedStream {
  streamId: string;
  ids: string[];
}

/** The outcome of one write: the event's id, or why it failed. */
export type WriteOutcome = { streamId: string; id: string } | { streamId: string; failure: FailureReply };

type Reply = { ok: true; result: unknown } | { ok: false; failure: FailureReply };

const START_TIMEOUT_MS = 20_000;
const REQUEST_TIMEOUT_MS = 20_000;

/** Children still running, killed if the test process ends without stopping them. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export class StoreProcess {
  private output = '';
  private pending?: { resolve(reply: Reply): void; reject(error: Error): void };

  private constructor(
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
  ) {}

  /** Starts a process whose store uses `keyPrefix` and `storage`; resolves once its store is ready. */
  static async start(keyPrefix: string, storage: SseEventStorage): Promise<StoreProcess> {
    const child = spawn(process.execPath, [__filename, keyPrefix, storage], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    running.add(child);
    const exited = new Promise<void>((resolve) =>
      child.once('exit', () => {
        running.delete(child);
        resolve();
      }),
    );
    const started = new StoreProcess(child, exited);
    const collect = (chunk: Buffer): void => void (started.output = (started.output + chunk.toString()).slice(-20_000));
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.on('message', (reply: Reply) => {
      const pending = started.pending;
      started.pending = undefined;
      pending?.resolve(reply);
    });
    void exited.then(() => started.pending?.reject(new Error(`the store process exited: ${started.output}`)));
    const ready = new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      void exited.then(() => reject(new Error(`the store process exited before it was ready: ${started.output}`)));
    });
    await bounded(ready, 'a store process to start', START_TIMEOUT_MS).catch(async (error: unknown) => {
      await started.stop();
      throw error;
    });
    return started;
  }

  create(sessionId: string, streamIds: string[], events: number): Promise<CreatedStream[]> {
    return this.request({ op: 'create', sessionId, streamIds, events }) as Promise<CreatedStream[]>;
  }

  write(sessionId: string): Promise<WriteOutcome[]> {
    return this.request({ op: 'write', sessionId }) as Promise<WriteOutcome[]>;
  }

  /** Resolves, or rejects with an error whose `name` is the store error's class name. */
  delete(sessionId: string): Promise<void> {
    return this.request({ op: 'delete', sessionId }) as Promise<void>;
  }

  /** Ends the process (its store and Redis connection with it); safe to call more than once. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  private async request(request: StoreProcessRequest): Promise<unknown> {
    if (this.pending) throw new Error('one request at a time');
    const reply = await bounded(
      new Promise<Reply>((resolve, reject) => {
        this.pending = { resolve, reject };
        this.child.send(request);
      }),
      `${request.op} in a store process`,
      REQUEST_TIMEOUT_MS,
    );
    if (reply.ok) return reply.result;
    throw Object.assign(new Error(reply.failure.message), { name: reply.failure.name, code: reply.failure.code });
  }
}

function toFailure(error: unknown): FailureReply {
  return error instanceof Error
    ? { name: error.name, code: (error as { code?: string }).code, message: error.message }
    : { name: 'Error', message: String(error) };
}

/** The process side: one store, the writers it opened per session, and the requests it serves. */
async function serve(keyPrefix: string, storage: SseEventStorage): Promise<void> {
  Logger.overrideLogger(['error', 'warn']);
  const testCache = await createTestCache('redis');
  const { store } = createSseEventStore({ cache: testCache.cache, keyPrefix, storage });
  const writers = new Map<string, SseEventStreamWriter[]>();
  const handle = async (request: StoreProcessRequest): Promise<unknown> => {
    switch (request.op) {
      case 'create': {
        const opened = await Promise.all(
          request.streamIds.map((streamId) => store.createStream({ sessionId: request.sessionId, streamId })),
        );
        writers.set(request.sessionId, [...(writers.get(request.sessionId) ?? []), ...opened]);
        return Promise.all(
          opened.map(async (writer): Promise<CreatedStream> => {
            const written = await Promise.all(Array.from({ length: request.events }, (_, n) => writer.write({ data: { n } })));
            return { streamId: writer.streamId, ids: written.map((event) => event.id) };
          }),
        );
      }
      case 'write':
        return Promise.all(
          (writers.get(request.sessionId) ?? []).map((writer) =>
            writer.write({ data: 'later' }).then(
              (event): WriteOutcome => ({ streamId: writer.streamId, id: event.id }),
              (error: unknown): WriteOutcome => ({ streamId: writer.streamId, failure: toFailure(error) }),
            ),
          ),
        );
      case 'delete':
        await store.deleteStreamsForSession(request.sessionId);
        return undefined;
    }
  };
  process.on('message', (request: StoreProcessRequest) => {
    handle(request).then(
      (result) => process.send!({ ok: true, result } satisfies Reply),
      (error: unknown) => process.send!({ ok: false, failure: toFailure(error) } satisfies Reply),
    );
  });
  // The test ends the process; losing the test (its IPC channel) ends it too.
  process.on('disconnect', () => process.exit(0));
  process.send!({ ready: true });
}

if (require.main === module) {
  const [keyPrefix, storage] = process.argv.slice(2);
  serve(keyPrefix, storage as SseEventStorage).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
