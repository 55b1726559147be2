import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  type SseEventInput,
  type SseEventStore,
  type SseEventStreamReader,
  type SseEventStreamWriter,
  SseEventStreamMode,
  SseInvalidInputError,
  SseLimitExceededError,
  SseSessionDeletedError,
  type SseStoredEvent,
  SseStreamClosedError,
  type SseStreamAddress,
  SseStreamWriterConflictError,
} from '../../lib';
import type { EventIdFormat } from '../../lib/event-id/event-id-format.interface';
import { collect, type Recording, record, waitFor } from '../support/async';
import { bounded, HANG_LIMIT_MS } from '../support/bounded';

const { Streaming, Polling } = SseEventStreamMode;

/** An event as a reader must emit it. */
interface ExpectedEvent {
  id: string;
  data: string | object;
  type?: string;
  retry?: number;
}

/** What the model knows of one stream. */
interface ModelStream {
  readonly address: SseStreamAddress;
  readonly events: ExpectedEvent[];
  /** The id of sequence 0 ("before the first event"), also a valid position. */
  readonly zeroId: string;
  mode: SseEventStreamMode;
  completed: boolean;
  /** The state of the latest writer object created for the stream. */
  writer: 'open' | 'closed' | 'terminated';
}

/** A streaming reader kept subscribed across commands. */
interface ModelLiveReader {
  readonly key: string;
  /** Events stored when something that may end it first happened (polling mode, completion). */
  mayEndAfter?: number;
}

/** The simple model the store is compared against. */
export class StoreModel {
  readonly streams = new Map<string, ModelStream>();
  readonly deletedSessions = new Set<string>();
  /** Every id `write()` returned, with its position, for readers to resume from. */
  readonly issued: { id: string; address: SseStreamAddress; sequence: number }[] = [];
  readonly liveReaders: ModelLiveReader[] = [];
  /** Commands run so far (those whose preconditions held). */
  commandsRun = 0;

  constructor(
    readonly ids: EventIdFormat,
    /** Ids in the other format (plain for a signed store, signed for a plain one): never accepted. */
    readonly foreignIds: EventIdFormat,
    readonly maxStreamsPerSession: number,
  ) {}

  stream(address: SseStreamAddress): ModelStream | undefined {
    return this.streams.get(keyOf(address));
  }

  /** The stream and the sequence a reader resumed from `id` starts after, or `null` when the store must refuse it. */
  resumable(id: string, sessionFilter?: string): { stream: ModelStream; after: number } | null {
    for (const stream of this.streams.values()) {
      const index = stream.events.findIndex((event) => event.id === id);
      if (index < 0 && stream.zeroId !== id) continue;
      const { sessionId } = stream.address;
      if (this.deletedSessions.has(sessionId) || (sessionFilter !== undefined && sessionFilter !== sessionId)) return null;
      return { stream, after: index + 1 }; // 0 for the id of sequence 0
    }
    return null;
  }

  /** Marks that a stream's readers may end now (polling mode, completion). */
  mayEnd(stream: ModelStream): void {
    for (const reader of this.liveReaders) {
      if (reader.key === keyOf(stream.address)) reader.mayEndAfter ??= stream.events.length;
    }
  }
}

/** The store under test, and the writers and live readers the commands opened on it. */
export interface StoreUnderTest {
  store: SseEventStore;
  writers: Map<string, SseEventStreamWriter>;
  liveReaders: Recording<SseStoredEvent>[];
}

type Command = fc.AsyncCommand<StoreModel, StoreUnderTest>;

function keyOf(address: SseStreamAddress): string {
  return JSON.stringify([address.sessionId, address.streamId]);
}

function label(address: SseStreamAddress): string {
  return `${JSON.stringify(address.sessionId)}/${JSON.stringify(address.streamId)}`;
}

function assertRejectedWith(outcome: PromiseSettledResult<unknown>, type: abstract new (...args: never[]) => Error, what: string): void {
  assert.equal(outcome.status, 'rejected', `${what}: expected ${type.name}, but it succeeded`);
  const { reason } = outcome as PromiseRejectedResult;
  assert.ok(reason instanceof type, `${what}: expected ${type.name}, got ${String(reason)}`);
}

/** How a reader emits stored data: strings and objects as JSON gives them back, other JSON values as their JSON text. */
function expectedData(data: unknown): string | object {
  const value: unknown = JSON.parse(JSON.stringify(data ?? null));
  return typeof value === 'string' || (typeof value === 'object' && value !== null) ? value : JSON.stringify(value);
}

function asExpected(event: SseStoredEvent): ExpectedEvent {
  const { id, data, type, retry } = event;
  return { id, data, ...(type !== undefined && { type }), ...(retry !== undefined && { retry }) };
}

/** Reads what the store gives after `after` and compares it with the model, never waiting for events that will not come. */
async function verifyReader(reader: SseEventStreamReader, stream: ModelStream, after: number, what: string): Promise<void> {
  assert.deepEqual({ sessionId: reader.sessionId, streamId: reader.streamId }, stream.address, `${what}: the reader's stream`);
  const expected = stream.events.slice(after);
  if (stream.completed || stream.mode === Polling) {
    const events = await collect(reader.events(), HANG_LIMIT_MS);
    assert.deepEqual(events.map(asExpected), expected, `${what}: a reader that ends reads exactly the events after its position`);
    return;
  }
  // A streaming reader of an open stream waits for more: take what is there, then let go.
  if (expected.length === 0) return;
  const recording = record(reader.events());
  try {
    await recording.waitForCount(expected.length, HANG_LIMIT_MS);
    assert.deepEqual(recording.values.map(asExpected), expected, `${what}: a streaming reader delivers the stored events first`);
  } finally {
    recording.subscription.unsubscribe();
  }
}

/**
 * What must hold for every live reader at any moment: it delivered a prefix of its stream, it
 * failed only because its session was deleted, and it completed only after a polling switch or
 * a completion, having delivered at least what was stored then.
 */
export function checkLiveReaders(model: StoreModel, real: StoreUnderTest): void {
  model.liveReaders.forEach((reader, index) => {
    const recording = real.liveReaders[index];
    const stream = model.streams.get(reader.key)!;
    const what = `live reader #${index} of ${label(stream.address)}`;
    assert.deepEqual(
      recording.values.map(asExpected),
      stream.events.slice(0, recording.values.length),
      `${what}: delivered a prefix of the stream`,
    );
    const outcome = recording.outcome;
    if (outcome && 'error' in outcome) {
      assert.ok(outcome.error instanceof SseSessionDeletedError, `${what} failed with ${String(outcome.error)}`);
      assert.ok(model.deletedSessions.has(stream.address.sessionId), `${what} failed while its session exists`);
    } else if (outcome) {
      assert.ok(reader.mayEndAfter !== undefined, `${what} completed, though its stream was never completed nor polling`);
      assert.ok(
        recording.values.length >= reader.mayEndAfter,
        `${what} completed after ${recording.values.length} events; ${reader.mayEndAfter} were stored when it could end`,
      );
    }
  });
}

/** After the last command: every live reader either ends (when it must) or catches up with its stream. */
export async function settleLiveReaders(model: StoreModel, real: StoreUnderTest): Promise<void> {
  for (const [index, reader] of model.liveReaders.entries()) {
    const recording = real.liveReaders[index];
    const stream = model.streams.get(reader.key)!;
    const mustEnd = model.deletedSessions.has(stream.address.sessionId) || stream.completed || stream.mode === Polling;
    const what = `live reader #${index} of ${label(stream.address)}`;
    if (mustEnd) await waitFor(() => recording.outcome !== undefined, `${what} to end`, HANG_LIMIT_MS);
    else
      await waitFor(
        () => recording.outcome !== undefined || recording.values.length >= stream.events.length,
        `${what} to catch up`,
        HANG_LIMIT_MS,
      );
    if (!recording.outcome) assert.equal(recording.values.length, stream.events.length, `${what} delivered every event`);
  }
  checkLiveReaders(model, real);
}

// ---------------------------------------------------------------------------------------------
// Commands

class CreateStream implements Command {
  constructor(
    readonly address: SseStreamAddress,
    readonly mode: SseEventStreamMode,
  ) {}

  check(): boolean {
    return true;
  }

  async run(model: StoreModel, real: StoreUnderTest): Promise<void> {
    const what = `createStream(${label(this.address)})`;
    const [outcome] = await Promise.allSettled([bounded(real.store.createStream({ ...this.address, mode: this.mode }), what)]);
    const existing = model.stream(this.address);
    const { sessionId } = this.address;
    const held = [...model.streams.values()].filter((stream) => stream.address.sessionId === sessionId).length;
    if (model.deletedSessions.has(sessionId)) {
      assertRejectedWith(outcome, SseSessionDeletedError, what);
      return;
    }
    if (existing?.writer === 'open') {
      assertRejectedWith(outcome, SseStreamWriterConflictError, what);
      return;
    }
    if (!existing && held >= model.maxStreamsPerSession) {
      assertRejectedWith(outcome, SseLimitExceededError, what);
      assert.equal((outcome as PromiseRejectedResult).reason.max, model.maxStreamsPerSession);
      return;
    }
    assert.equal(outcome.status, 'fulfilled', `${what}: ${String((outcome as PromiseRejectedResult).reason)}`);
    real.writers.set(keyOf(this.address), (outcome as PromiseFulfilledResult<SseEventStreamWriter>).value);
    const stream: ModelStream = existing ?? {
      address: { sessionId, streamId: this.address.streamId },
      events: [],
      zeroId: model.ids.format(this.address, 0),
      mode: this.mode,
      completed: false,
      writer: 'open',
    };
    Object.assign(stream, { mode: this.mode, completed: false, writer: 'open' });
    model.streams.set(keyOf(this.address), stream);
    if (this.mode === Polling) model.mayEnd(stream);
  }

  toString(): string {
    return `createStream(${label(this.address)}, ${this.mode})`;
  }
}

/** One operation of a burst issued on a writer without waiting in between. */
export type BurstOperation =
  | { kind: 'write'; event: SseEventInput }
  | { kind: 'mode'; mode: SseEventStreamMode }
  /** An event that already has an id: returned unchanged, not stored. */
  | { kind: 'with-id'; id: string }
  /** Data JSON cannot hold: refused with SseInvalidInputError, nothing stored. */
  | { kind: 'invalid' };

/** Picks one of the streams created so far (commands on writers need one). */
function pickStream(model: StoreModel, pick: number): ModelStream {
  const streams = [...model.streams.values()];
  return streams[pick % streams.length];
}

class Burst implements Command {
  private address?: SseStreamAddress;

  constructor(
    readonly pick: number,
    readonly operations: BurstOperation[],
  ) {}

  check(model: StoreModel): boolean {
    return model.streams.size > 0;
  }

  async run(model: StoreModel, real: StoreUnderTest): Promise<void> {
    const stream = pickStream(model, this.pick);
    this.address = stream.address;
    const writer = real.writers.get(keyOf(stream.address))!;
    const pending = this.operations.map((operation): Promise<unknown> => {
      if (operation.kind === 'mode') return writer.setMode(operation.mode);
      if (operation.kind === 'with-id') return writer.write({ data: 'not stored', id: operation.id });
      if (operation.kind === 'invalid') return writer.write({ data: 10n });
      return writer.write(operation.event);
    });
    const outcomes = await bounded(Promise.allSettled(pending), `a burst on ${label(stream.address)}`);
    outcomes.forEach((outcome, index) => {
      const operation = this.operations[index];
      const what = `${label(stream.address)}: operation ${index} (${operation.kind}) of the burst, writer ${stream.writer}`;
      if (operation.kind === 'with-id') {
        assert.equal(outcome.status, 'fulfilled', what);
        assert.equal((outcome as PromiseFulfilledResult<{ id: string }>).value.id, operation.id, what);
        return;
      }
      if (stream.writer === 'closed') {
        assertRejectedWith(outcome, SseStreamClosedError, what);
        return;
      }
      if (stream.writer === 'terminated') {
        assertRejectedWith(outcome, SseSessionDeletedError, what);
        return;
      }
      if (operation.kind === 'invalid') {
        assertRejectedWith(outcome, SseInvalidInputError, what);
        return;
      }
      assert.equal(outcome.status, 'fulfilled', `${what}: ${String((outcome as PromiseRejectedResult).reason)}`);
      if (operation.kind === 'mode') {
        stream.mode = operation.mode;
        if (operation.mode === Polling) model.mayEnd(stream);
        return;
      }
      const { id } = (outcome as PromiseFulfilledResult<{ id: string }>).value;
      const sequence = stream.events.length + 1;
      assert.equal(id, model.ids.format(stream.address, sequence), `${what}: sequences follow call order, without gaps`);
      assert.deepEqual(model.ids.parse(id), { ...stream.address, sequence }, `${what}: the id names its event`);
      const { data, type, retry } = operation.event;
      stream.events.push({ id, data: expectedData(data), ...(type !== undefined && { type }), ...(retry !== undefined && { retry }) });
      model.issued.push({ id, address: stream.address, sequence });
    });
  }

  toString(): string {
    return `burst(${this.address ? label(this.address) : `#${this.pick}`}, ${JSON.stringify(this.operations, (_, value) => (typeof value === 'bigint' ? `${value}n` : value))})`;
  }
}

/** One write on every open writer at once (on the native Redis path they share one script call). */
class WriteAcross implements Command {
  constructor(readonly data: unknown) {}

  check(model: StoreModel): boolean {
    return [...model.streams.values()].some((stream) => stream.writer === 'open');
  }

  async run(model: StoreModel, real: StoreUnderTest): Promise<void> {
    const open = [...model.streams.values()].filter((stream) => stream.writer === 'open');
    const written = await bounded(
      Promise.all(open.map((stream) => real.writers.get(keyOf(stream.address))!.write({ data: this.data }))),
      'writes across streams',
    );
    open.forEach((stream, index) => {
      const { id } = written[index];
      const sequence = stream.events.length + 1;
      assert.equal(id, model.ids.format(stream.address, sequence), `write across: ${label(stream.address)}`);
      stream.events.push({ id, data: expectedData(this.data) });
      model.issued.push({ id, address: stream.address, sequence });
    });
  }

  toString(): string {
    return `writeAcross(${JSON.stringify(this.data)})`;
  }
}

class Complete implements Command {
  private address?: SseStreamAddress;

  constructor(readonly pick: number) {}

  check(model: StoreModel): boolean {
    return model.streams.size > 0;
  }

  async run(model: StoreModel, real: StoreUnderTest): Promise<void> {
    const stream = pickStream(model, this.pick);
    this.address = stream.address;
    const what = `complete(${label(stream.address)}), writer ${stream.writer}`;
    const [outcome] = await Promise.allSettled([bounded(real.writers.get(keyOf(stream.address))!.complete(), what)]);
    if (stream.writer === 'terminated') {
      assertRejectedWith(outcome, SseSessionDeletedError, what);
      return;
    }
    assert.equal(outcome.status, 'fulfilled', `${what}: ${String((outcome as PromiseRejectedResult).reason)}`);
    if (stream.writer === 'open') {
      Object.assign(stream, { completed: true, writer: 'closed' });
      model.mayEnd(stream);
    }
  }

  toString(): string {
    return `complete(${this.address ? label(this.address) : `#${this.pick}`})`;
  }
}

/** Where a `Last-Event-ID` of a read comes from. */
export type IdChoice =
  | { kind: 'issued'; pick: number }
  | { kind: 'zero' | 'next' | 'largest'; address: SseStreamAddress }
  | { kind: 'foreign'; pick: number }
  /** An issued id with another sequence written in: a fabricated position (refused when ids are signed). */
  | { kind: 'tampered'; pick: number; sequence: number }
  | { kind: 'garbage'; text: string };

class ResumeRead implements Command {
  constructor(
    readonly choice: IdChoice,
    /** `options.sessionId`: none, the id's own session, or another one. */
    readonly sessionFilter: 'none' | 'own' | 'other',
  ) {}

  check(model: StoreModel): boolean {
    return !('pick' in this.choice) || model.issued.length > 0;
  }

  private idOf(model: StoreModel): { id: string; sessionId?: string } {
    const { choice } = this;
    switch (choice.kind) {
      case 'issued': {
        const { id, address } = model.issued[choice.pick % model.issued.length];
        return { id, sessionId: address.sessionId };
      }
      case 'foreign': {
        const { address, sequence } = model.issued[choice.pick % model.issued.length];
        return { id: model.foreignIds.format(address, sequence), sessionId: address.sessionId };
      }
      case 'tampered': {
        const { id, address, sequence } = model.issued[choice.pick % model.issued.length];
        const parts = id.split('.');
        parts[parts.lastIndexOf(String(sequence))] = String(choice.sequence);
        return { id: parts.join('.'), sessionId: address.sessionId };
      }
      case 'zero':
        return { id: model.ids.format(choice.address, 0), sessionId: choice.address.sessionId };
      case 'next':
        return {
          id: model.ids.format(choice.address, (model.stream(choice.address)?.events.length ?? 0) + 1),
          sessionId: choice.address.sessionId,
        };
      case 'largest':
        return { id: model.ids.format(choice.address, Number.MAX_SAFE_INTEGER), sessionId: choice.address.sessionId };
      case 'garbage':
        return { id: choice.text };
    }
  }

  async run(model: StoreModel, real: StoreUnderTest): Promise<void> {
    const { id, sessionId } = this.idOf(model);
    const filter =
      this.sessionFilter === 'none' ? undefined : this.sessionFilter === 'own' ? (sessionId ?? '') : `${sessionId ?? ''}-other`;
    const what = `getStreamReader(${JSON.stringify(id.slice(0, 80))}${filter === undefined ? '' : `, { sessionId: ${JSON.stringify(filter)} }`})`;
    const reader = await bounded(real.store.getStreamReader(id, filter === undefined ? undefined : { sessionId: filter }), what);
    const expected = model.resumable(id, filter);
    if (!expected) return assert.equal(reader, null, `${what} must be refused`);
    assert.ok(reader, `${what} must give a reader`);
    await verifyReader(reader, expected.stream, expected.after, what);
  }

  toString(): string {
    const { choice } = this;
    const detail =
      'address' in choice
        ? label(choice.address)
        : choice.kind === 'garbage'
          ? JSON.stringify(choice.text.slice(0, 60))
          : `#${choice.pick}`;
    return `getStreamReader(${choice.kind} ${detail}, filter ${this.sessionFilter})`;
  }
}

class ReadFromStart implements Command {
  constructor(
    readonly address: SseStreamAddress,
    /** Stay subscribed across the following commands instead of reading once. */
    readonly live: boolean,
  ) {}

  check(): boolean {
    return true;
  }

  async run(model: StoreModel, real: StoreUnderTest): Promise<void> {
    const what = `getStreamReaderFromStart(${label(this.address)})`;
    const reader = await bounded(real.store.getStreamReaderFromStart(this.address), what);
    const stream = model.stream(this.address);
    if (!stream || model.deletedSessions.has(this.address.sessionId)) return assert.equal(reader, null, `${what} must be null`);
    assert.ok(reader, `${what} must give a reader`);
    if (!this.live) return verifyReader(reader, stream, 0, what);
    real.liveReaders.push(record(reader.events()));
    model.liveReaders.push({ key: keyOf(this.address) });
    if (stream.completed || stream.mode === Polling) model.mayEnd(stream);
  }

  toString(): string {
    return `${this.live ? 'subscribe' : 'readFromStart'}(${label(this.address)})`;
  }
}

class DeleteSession implements Command {
  constructor(readonly sessionId: string) {}

  check(): boolean {
    return true;
  }

  async run(model: StoreModel, real: StoreUnderTest): Promise<void> {
    await bounded(real.store.deleteStreamsForSession(this.sessionId), `deleteStreamsForSession(${JSON.stringify(this.sessionId)})`);
    model.deletedSessions.add(this.sessionId);
    for (const stream of model.streams.values()) {
      if (stream.address.sessionId === this.sessionId && stream.writer === 'open') stream.writer = 'terminated';
    }
  }

  toString(): string {
    return `deleteStreamsForSession(${JSON.stringify(this.sessionId)})`;
  }
}

/** Checks the live readers after every command, so a violation is reported at the command that caused it. */
class Checked implements Command {
  constructor(private readonly inner: Command) {}

  check(model: Readonly<StoreModel>): boolean {
    return this.inner.check(model);
  }

  async run(model: StoreModel, real: StoreUnderTest): Promise<void> {
    await this.inner.run(model, real);
    model.commandsRun++;
    checkLiveReaders(model, real);
  }

  toString(): string {
    return this.inner.toString();
  }
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** Session and stream ids that look alike once separators, braces and encodings are involved. */
export const SESSION_IDS = ['s', '{s}', 'a.b:c', '日本 🎉', ''];
export const STREAM_IDS = ['a', 'b', '_GET_stream', ''];

const addressArbitrary = fc.record({ sessionId: fc.constantFrom(...SESSION_IDS), streamId: fc.constantFrom(...STREAM_IDS) });
const modeArbitrary = fc.constantFrom(Streaming, Polling);

/** JSON data of the kinds readers treat differently, with hostile strings. */
const dataArbitrary = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.record({ n: fc.integer(), text: fc.string({ maxLength: 6 }) }),
  fc.array(fc.integer(), { maxLength: 3 }),
);

const eventArbitrary: fc.Arbitrary<SseEventInput> = fc.record(
  {
    data: dataArbitrary,
    type: fc.string({ unit: 'grapheme-ascii', maxLength: 6 }),
    retry: fc.nat({ max: 60_000 }),
  },
  { requiredKeys: ['data'] },
);

const burstOperationArbitrary: fc.Arbitrary<BurstOperation> = fc.oneof(
  { weight: 8, arbitrary: eventArbitrary.map((event) => ({ kind: 'write' as const, event })) },
  { weight: 2, arbitrary: modeArbitrary.map((mode) => ({ kind: 'mode' as const, mode })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }).map((id) => ({ kind: 'with-id' as const, id })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'invalid' as const }) },
);

/** Strings that are not ids of the store, or only by accident: random text, and ids taken apart. */
const garbageIdArbitrary = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('.', 'A', 'Q', 'c', '0', '1', '-', '_', '{', '}', ':'), maxLength: 40 }),
);

const idChoiceArbitrary: fc.Arbitrary<IdChoice> = fc.oneof(
  { weight: 6, arbitrary: fc.nat().map((pick) => ({ kind: 'issued' as const, pick })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('zero' as const, 'next' as const, 'largest' as const), addressArbitrary)
      .map(([kind, address]) => ({ kind, address })),
  },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: 'foreign' as const, pick })) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.nat(), fc.nat({ max: 12 })).map(([pick, sequence]) => ({ kind: 'tampered' as const, pick, sequence })),
  },
  { weight: 1, arbitrary: garbageIdArbitrary.map((text) => ({ kind: 'garbage' as const, text })) },
);

/** Random interleavings of every operation of the store, each checked against the model. */
export function storeCommands(maxCommands: number): fc.Arbitrary<Iterable<Command>> {
  // Weights: enough creates to reach the stream limit, writes and reads most; deletes end a
  // session for good, so they stay rare and sessions live long enough to matter.
  const commands: { weight: number; arbitrary: fc.Arbitrary<Command> }[] = [
    { weight: 5, arbitrary: fc.tuple(addressArbitrary, modeArbitrary).map(([address, mode]) => new CreateStream(address, mode)) },
    {
      weight: 6,
      arbitrary: fc
        .tuple(fc.nat(), fc.array(burstOperationArbitrary, { minLength: 1, maxLength: 8 }))
        .map(([pick, operations]) => new Burst(pick, operations)),
    },
    { weight: 2, arbitrary: dataArbitrary.map((data) => new WriteAcross(data)) },
    { weight: 3, arbitrary: fc.nat().map((pick) => new Complete(pick)) },
    {
      weight: 6,
      arbitrary: fc
        .tuple(idChoiceArbitrary, fc.constantFrom('none' as const, 'own' as const, 'other' as const))
        .map(([choice, filter]) => new ResumeRead(choice, filter)),
    },
    { weight: 4, arbitrary: fc.tuple(addressArbitrary, fc.boolean()).map(([address, live]) => new ReadFromStart(address, live)) },
    { weight: 1, arbitrary: fc.constantFrom(...SESSION_IDS).map((sessionId) => new DeleteSession(sessionId)) },
  ];
  const checked = commands.map(({ weight, arbitrary }) => ({
    weight,
    arbitrary: arbitrary.map((command): Command => new Checked(command)),
  }));
  return fc.commands([fc.oneof(...checked)], { maxCommands, size: 'max' });
}
