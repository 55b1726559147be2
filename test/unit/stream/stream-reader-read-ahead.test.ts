import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { SseHistoryExpiredError } from '../../../lib';
import { SseEventStreamMode } from '../../../lib/interfaces/sse-event-stream-mode.enum';
import { StoreMetrics } from '../../../lib/metrics/store-metrics';
import {
  SKIPPED_SEQUENCE,
  type StreamReadResult,
  type StreamSnapshot,
  type StreamStorage,
} from '../../../lib/storage/stream-storage.interface';
import { StreamReader } from '../../../lib/stream/stream-reader';
import { LocalStreamWakeup } from '../../../lib/wakeup/local-stream-wakeup';
import { record } from '../../support/async';

const ADDRESS = { sessionId: 'session', streamId: 'stream' };
const PAGE_SIZE = 10;

/** One call to the scripted storage's `read`: what was asked, and how to answer it. */
interface ReadCall {
  fromSequence: number;
  count: number;
  answer(result: StreamReadResult): void;
  fail(error: unknown): void;
}

/**
 * A storage whose reads the test answers by hand, in any order: the reader's own logic (which
 * pages it reads, when, and what it delivers from them) is under test, not a backend.
 */
class ScriptedStorage {
  readonly calls: ReadCall[] = [];
  private readonly waiting: (() => void)[] = [];

  read(_address: unknown, fromSequence: number, count: number): Promise<StreamReadResult> {
    return new Promise((resolve, reject) => {
      this.calls.push({ fromSequence, count, answer: resolve, fail: reject });
      for (const wake of this.waiting.splice(0)) wake();
    });
  }

  /** Resolves once `count` reads were made in all; rejects if they are not made within a second. */
  async readsMade(count: number): Promise<ReadCall[]> {
    const deadline = Date.now() + 1_000;
    while (this.calls.length < count) {
      if (Date.now() > deadline) throw new Error(`${this.calls.length} reads made, not ${count}: ${JSON.stringify(this.asked())}`);
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.calls;
  }

  /** The reads asked for so far: [fromSequence, count] each. */
  asked(): [number, number][] {
    return this.calls.map((call) => [call.fromSequence, call.count]);
  }
}

/** The answer of a stream that holds `first..last`, for a read of `count` from `fromSequence`. */
function page(fromSequence: number, count: number, snapshot: Partial<StreamSnapshot> & { lastSequence: number }): StreamReadResult {
  const full: StreamSnapshot = { mode: SseEventStreamMode.Streaming, completed: true, firstSequence: 1, ...snapshot };
  const end = Math.min(full.lastSequence, fromSequence + count - 1);
  const events = [];
  for (let sequence = fromSequence; sequence <= end; sequence++) events.push({ data: sequence });
  return { status: 'found', snapshot: full, events };
}

function openReader(storage: ScriptedStorage, wakeup = new LocalStreamWakeup()): StreamReader {
  return new StreamReader(ADDRESS, (sequence) => String(sequence), 0, false, storage as unknown as StreamStorage, wakeup, {
    pageSize: PAGE_SIZE,
    pollingInterval: () => undefined,
    shutdown: new AbortController().signal,
    metrics: new StoreMetrics({ records: false }),
  });
}

/** The ids (here: the sequences) of what the reader delivered. */
const idsOf = (reader: { values: { id: string }[] }): string[] => reader.values.map((event) => event.id);
const upTo = (last: number): string[] => Array.from({ length: last }, (_, index) => String(index + 1));

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('StreamReader: replay pages read ahead', () => {
  it('reads the next two pages while the first is delivered, and delivers every event once, in order, whatever order the answers come in', async () => {
    const storage = new ScriptedStorage();
    const reader = record(openReader(storage).events());
    const [first] = await storage.readsMade(1);
    first.answer(page(1, PAGE_SIZE, { lastSequence: 35 }));
    const calls = await storage.readsMade(3);
    assert.deepEqual(storage.asked(), [
      [1, 10],
      [11, 10],
      [21, 10],
    ]);
    // The third page answers before the second: nothing of it goes out before the second's events.
    calls[2].answer(page(21, PAGE_SIZE, { lastSequence: 35 }));
    await tick();
    assert.deepEqual(idsOf(reader), upTo(10));
    calls[1].answer(page(11, PAGE_SIZE, { lastSequence: 35 }));
    // Only the fourth (last) page is left to read; nothing past the last sequence is asked for.
    (await storage.readsMade(4))[3].answer(page(31, PAGE_SIZE, { lastSequence: 35 }));
    assert.deepEqual(await reader.ended, { completed: true });
    assert.deepEqual(idsOf(reader), upTo(35));
    assert.deepEqual(storage.asked(), [
      [1, 10],
      [11, 10],
      [21, 10],
      [31, 10],
    ]);
  });

  it('reads nothing ahead of a page that reaches the last sequence', async () => {
    const storage = new ScriptedStorage();
    const reader = record(openReader(storage).events());
    (await storage.readsMade(1))[0].answer(page(1, PAGE_SIZE, { lastSequence: 10 }));
    assert.deepEqual(await reader.ended, { completed: true });
    assert.equal(reader.values.length, 10);
    assert.deepEqual(storage.asked(), [[1, 10]]);
  });

  it('an unsubscribed reader makes no read after the ones under way when it left', async () => {
    const storage = new ScriptedStorage();
    const reader = record(openReader(storage).events());
    (await storage.readsMade(1))[0].answer(page(1, PAGE_SIZE, { lastSequence: 1_000 }));
    const calls = await storage.readsMade(3);
    reader.subscription.unsubscribe();
    calls[1].answer(page(11, PAGE_SIZE, { lastSequence: 1_000 }));
    calls[2].fail(new Error('a read that nobody waits for any more'));
    for (let n = 0; n < 5; n++) await tick();
    assert.equal(storage.calls.length, 3);
    assert.equal(reader.values.length, 10);
    assert.equal(reader.outcome, undefined, 'an unsubscribed reader neither completes nor errors');
  });

  it('a page read ahead that fails fails the reader once the events before it are delivered', async () => {
    const storage = new ScriptedStorage();
    const reader = record(openReader(storage).events());
    (await storage.readsMade(1))[0].answer(page(1, PAGE_SIZE, { lastSequence: 100 }));
    const calls = await storage.readsMade(3);
    const failure = new Error('Redis is gone');
    calls[2].fail(failure);
    calls[1].answer(page(11, PAGE_SIZE, { lastSequence: 100 }));
    assert.deepEqual(await reader.ended, { error: failure });
    assert.equal(reader.values.length, 20);
  });

  it('history trimmed between two pages read ahead: the reader is told where it lost it', async () => {
    const storage = new ScriptedStorage();
    const reader = record(openReader(storage).events());
    (await storage.readsMade(1))[0].answer(page(1, PAGE_SIZE, { lastSequence: 100 }));
    const calls = await storage.readsMade(3);
    calls[1].answer(page(11, PAGE_SIZE, { lastSequence: 100 }));
    // By the third read the retention cap had dropped everything before 26.
    const trimmed = page(21, PAGE_SIZE, { lastSequence: 100, firstSequence: 26 });
    if (trimmed.status === 'found') trimmed.events.fill(undefined, 0, 5);
    calls[2].answer(trimmed);
    const ended = await reader.ended;
    assert.ok('error' in ended && ended.error instanceof SseHistoryExpiredError, JSON.stringify(ended));
    assert.equal(reader.values.length, 20, 'every event up to the gap, none after it');
  });

  it('skipped sequences in a page read ahead are passed over', async () => {
    const storage = new ScriptedStorage();
    const reader = record(openReader(storage).events());
    (await storage.readsMade(1))[0].answer(page(1, PAGE_SIZE, { lastSequence: 20 }));
    const ahead = page(11, PAGE_SIZE, { lastSequence: 20 });
    if (ahead.status === 'found') ahead.events[3] = SKIPPED_SEQUENCE;
    (await storage.readsMade(2))[1].answer(ahead);
    await reader.ended;
    assert.deepEqual(
      idsOf(reader),
      upTo(20).filter((id) => id !== '14'),
    );
  });

  it('a page read ahead that ends short (the last sequence went back): the pages after it are dropped and the reader reads on from where it is, missing nothing', async () => {
    const storage = new ScriptedStorage();
    const reader = record(openReader(storage).events());
    (await storage.readsMade(1))[0].answer(page(1, PAGE_SIZE, { lastSequence: 100, completed: false }));
    const calls = await storage.readsMade(3);
    // The second page says the stream ends at 14; the third (from 21) no longer continues it.
    calls[1].answer(page(11, PAGE_SIZE, { lastSequence: 14, completed: false }));
    calls[2].answer(page(21, PAGE_SIZE, { lastSequence: 100, completed: false }));
    const [again] = (await storage.readsMade(4)).slice(3);
    assert.equal(again.fromSequence, 15);
    again.answer(page(15, again.count, { lastSequence: 16, completed: true }));
    assert.deepEqual(await reader.ended, { completed: true });
    assert.deepEqual(idsOf(reader), upTo(16));
  });

  it('a change notified while a page is read ahead is not lost: the reader that catches up with that page reads again at once', async () => {
    const storage = new ScriptedStorage();
    const wakeup = new LocalStreamWakeup();
    // Without polling, a lost wake-up would leave the reader waiting for good.
    const reader = record(openReader(storage, wakeup).events());
    (await storage.readsMade(1))[0].answer(page(1, PAGE_SIZE, { lastSequence: 20, completed: false }));
    const calls = await storage.readsMade(2);
    wakeup.notify(ADDRESS); // event 21 was stored after the second page was read
    calls[1].answer(page(11, PAGE_SIZE, { lastSequence: 20, completed: false }));
    const [again] = (await storage.readsMade(3)).slice(2);
    assert.equal(again.fromSequence, 21);
    again.answer(page(21, again.count, { lastSequence: 21, completed: true }));
    assert.deepEqual(await reader.ended, { completed: true });
    assert.deepEqual(idsOf(reader), upTo(21));
  });
});
