import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DuplicateRedisConnection, OwnedRedisClient, RedisConnection } from '../../../lib/redis/redis-connection';
import { RedisAppendLanes } from '../../../lib/storage/redis/redis-append-lanes';
import { RedisCommands } from '../../../lib/storage/redis/redis-commands';

/** A connection that answers nothing; what the lanes need of it is its identity, its listeners and its duplicate. */
class FakeConnection implements RedisConnection {
  readonly client = {};
  readonly pubSub = undefined as never;
  listeners = 0;
  duplicates: FakeDuplicate[] = [];

  constructor(
    readonly isCluster = false,
    private readonly duplicable = !isCluster,
  ) {}

  send(): Promise<unknown> {
    return new Promise(() => undefined);
  }
  onNodeError(): () => void {
    return this.listen();
  }
  onConnectionError(): () => void {
    return this.listen();
  }
  refreshSlotMap(): Promise<void> {
    return Promise.resolve();
  }
  duplicate(): DuplicateRedisConnection | undefined {
    if (!this.duplicable) return undefined;
    const duplicate = new FakeDuplicate();
    this.duplicates.push(duplicate);
    return duplicate;
  }

  private listen(): () => void {
    this.listeners++;
    return () => this.listeners--;
  }
}

/** The client of the store's own connection: connected when the test says so. */
class FakeOwnedClient implements OwnedRedisClient {
  connects = 0;
  destroyed = 0;
  isReady = false;
  private resolveConnect?: () => void;

  get isOpen(): boolean {
    return this.connects > 0 && this.destroyed === 0;
  }
  connect(): Promise<unknown> {
    this.connects++;
    return new Promise<void>((resolve) => (this.resolveConnect = resolve));
  }
  destroy(): void {
    this.destroyed++;
    this.isReady = false;
  }
  /** Connected (or, with `false`, disconnected: reconnecting). */
  setConnected(connected: boolean): void {
    this.isReady = connected;
    if (connected) this.resolveConnect?.();
  }
}

class FakeDuplicate implements DuplicateRedisConnection {
  readonly connection = new FakeConnection();
  readonly client = new FakeOwnedClient();
}

function lanesOn(connection: FakeConnection, connections: 1 | 2 = 2): { lanes: RedisAppendLanes; main: RedisCommands } {
  const main = new RedisCommands(connection, 1_000);
  return { lanes: new RedisAppendLanes(main, connection, 1_000, connections), main };
}

/** Starts a call on the lanes; resolves with the commands it was given, and the function that answers it. */
function startCall(lanes: RedisAppendLanes): { commands: RedisCommands; answer(): void; done: Promise<void> } {
  let commands: RedisCommands | undefined;
  let answer!: () => void;
  const done = lanes.send(
    (given) =>
      new Promise<void>((resolve) => {
        commands = given;
        answer = resolve;
      }),
  );
  assert.ok(commands, 'the call is started at once');
  return { commands, answer, done };
}

describe('RedisAppendLanes', () => {
  it('every call goes on the application connection until a tick asks for the second lane', async () => {
    const connection = new FakeConnection();
    const { lanes, main } = lanesOn(connection);
    const calls = [startCall(lanes), startCall(lanes), startCall(lanes)];
    assert.ok(calls.every((call) => call.commands === main));
    assert.equal(connection.duplicates.length, 0, 'no connection of its own was opened');
    assert.equal(lanes.bothIdle, false);
    for (const call of calls) call.answer();
    await Promise.all(calls.map((call) => call.done));
    await lanes.close();
  });

  it('once the second lane is connected, each call goes on the lane with fewer calls in flight', async () => {
    const connection = new FakeConnection();
    const { lanes, main } = lanesOn(connection);
    lanes.prepare();
    lanes.prepare();
    assert.equal(connection.duplicates.length, 1, 'one connection of its own, whatever the number of ticks that ask');
    const duplicate = connection.duplicates[0];
    assert.equal(duplicate.client.connects, 1);

    // Still connecting: the application's connection takes everything.
    const early = [startCall(lanes), startCall(lanes)];
    assert.ok(early.every((call) => call.commands === main));
    for (const call of early) call.answer();
    await Promise.all(early.map((call) => call.done));

    duplicate.client.setConnected(true);
    assert.equal(lanes.bothIdle, true);
    const first = startCall(lanes);
    assert.equal(first.commands, main, 'a tie goes to the application connection');
    assert.equal(lanes.bothIdle, false);
    const second = startCall(lanes);
    assert.notEqual(second.commands, main, 'the second call goes on the lane of its own');
    const third = startCall(lanes);
    assert.equal(third.commands, main, 'a tie again');
    first.answer();
    third.answer();
    await Promise.all([first.done, third.done]);
    const fourth = startCall(lanes);
    assert.equal(fourth.commands, main, 'the application connection has none in flight now, the second lane one');
    second.answer();
    fourth.answer();
    await Promise.all([second.done, fourth.done]);
    assert.equal(lanes.bothIdle, true);

    // Reconnecting: back on the application's connection.
    duplicate.client.setConnected(false);
    const during = [startCall(lanes), startCall(lanes)];
    assert.ok(during.every((call) => call.commands === main));
    for (const call of during) call.answer();
    await Promise.all(during.map((call) => call.done));

    duplicate.client.setConnected(true);
    const applicationListeners = connection.listeners;
    await lanes.close();
    assert.equal(duplicate.client.destroyed, 1, 'close destroys the connection of its own');
    assert.equal(duplicate.connection.listeners, 0, 'and removes the listeners from its client');
    assert.ok(applicationListeners > 0);
    assert.equal(connection.listeners, applicationListeners, "the application's connection is left to the storage that made its commands");
    main.close();
  });

  it('a call that fails frees its lane', async () => {
    const connection = new FakeConnection();
    const { lanes, main } = lanesOn(connection);
    lanes.prepare();
    connection.duplicates[0].client.setConnected(true);
    await assert.rejects(
      lanes.send(() => Promise.reject(new Error('refused'))),
      /refused/,
    );
    assert.equal(lanes.bothIdle, true);
    assert.equal(startCall(lanes).commands, main);
    await lanes.close();
  });

  it('on a cluster, a client that cannot be duplicated, or with one connection asked for, there is no second lane', async () => {
    for (const [connection, connections] of [
      [new FakeConnection(true), 2],
      [new FakeConnection(false, false), 2],
      [new FakeConnection(), 1],
    ] as const) {
      const { lanes, main } = lanesOn(connection, connections);
      lanes.prepare();
      assert.equal(connection.duplicates.length, 0);
      assert.equal(lanes.bothIdle, false);
      const calls = [startCall(lanes), startCall(lanes)];
      assert.ok(calls.every((call) => call.commands === main));
      for (const call of calls) call.answer();
      await Promise.all(calls.map((call) => call.done));
      await lanes.close();
      main.close();
    }
  });
});
