import { strict as assert } from 'node:assert';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { Logger } from '@nestjs/common';
import { encodeEvent } from '../../../lib/encoding/stored-records';
import { AppendedEvents } from '../../../lib/encoding/appended-events';
import type { RedisPubSubClient } from '../../../lib/redis/redis-pub-sub-client.interface';
import { RedisStreamWakeup } from '../../../lib/wakeup/redis-stream-wakeup';
import { WakeupChannels } from '../../../lib/wakeup/wakeup-channels';

/** A stand-in for a node-redis client: records calls and lets the test deliver messages and connection events. */
class FakeRedisClient extends EventEmitter implements RedisPubSubClient {
  isReady = false;
  isOpen = false;
  readonly published: [string, string][] = [];
  readonly subscriptions = new Map<string, (message: string, channel: string) => void>();
  readonly unsubscribed: string[] = [];
  duplicates: FakeRedisClient[] = [];
  destroyed = false;

  duplicate(): FakeRedisClient {
    const client = new FakeRedisClient();
    this.duplicates.push(client);
    return client;
  }
  async connect(): Promise<void> {
    this.isOpen = true;
    // Like a real client: ready after a round trip, not during the call.
    await new Promise((resolve) => setImmediate(resolve));
    this.becomeReady();
  }
  becomeReady(): void {
    this.isReady = true;
    this.emit('ready');
  }
  drop(): void {
    this.isReady = false;
    this.emit('reconnecting');
  }
  async publish(channel: string, message: string): Promise<number> {
    this.published.push([channel, message]);
    return 1;
  }
  async subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<void> {
    this.subscriptions.set(channel, listener);
  }
  async unsubscribe(channel: string): Promise<void> {
    this.subscriptions.delete(channel);
    this.unsubscribed.push(channel);
  }
  destroy(): void {
    this.destroyed = true;
  }
  deliver(channel: string, message: string): void {
    this.subscriptions.get(channel)?.(message, channel);
  }
}

const keys = new WakeupChannels('unit');
const address = { sessionId: 's', streamId: 't' };
const flush = () => new Promise((resolve) => setTimeout(resolve, 5));

function setup() {
  const publisher = new FakeRedisClient();
  const wakeup = new RedisStreamWakeup(publisher, keys);
  return { publisher, wakeup, subscriber: () => publisher.duplicates[0] };
}

test('one subscriber connection serves every reader of the process', async () => {
  const { publisher, wakeup } = setup();
  const off = [wakeup.subscribe(address, () => undefined), wakeup.subscribe({ sessionId: 's', streamId: 'u' }, () => undefined)];
  await flush();
  assert.equal(publisher.duplicates.length, 1);
  off.forEach((unsubscribe) => {
    unsubscribe();
  });
  await wakeup.close();
  assert.equal(publisher.duplicates[0].destroyed, true);
});

test('a reader is woken once its channel is live, to re-check what it read before', async () => {
  const { wakeup } = setup();
  let wakes = 0;
  wakeup.subscribe(address, () => wakes++);
  assert.equal(wakes, 0);
  await flush();
  await flush();
  assert.ok(wakes >= 1);
});

test('a message from another instance wakes the stream readers; the own echo does not', async () => {
  const { publisher, wakeup, subscriber } = setup();
  let wakes = 0;
  wakeup.subscribe(address, () => wakes++);
  await flush();
  wakes = 0;
  wakeup.notify(address);
  assert.equal(wakes, 1, 'local readers are woken directly');
  const [[channel, origin]] = publisher.published;
  assert.equal(channel, keys.streamChannel(address));
  subscriber().deliver(channel, origin);
  assert.equal(wakes, 1, 'the echo of the own publish is ignored');
  subscriber().deliver(channel, 'another-instance');
  assert.equal(wakes, 2);
});

test('a session deletion in another instance wakes every reader of that session', async () => {
  const { wakeup, subscriber } = setup();
  const woken: string[] = [];
  wakeup.subscribe({ sessionId: 's', streamId: 'a' }, () => woken.push('a'));
  wakeup.subscribe({ sessionId: 's', streamId: 'b' }, () => woken.push('b'));
  wakeup.subscribe({ sessionId: 'other', streamId: 'c' }, () => woken.push('c'));
  await flush();
  woken.length = 0;
  subscriber().deliver(keys.sessionChannel('s'), 'another-instance');
  assert.deepEqual(woken.sort(), ['a', 'b']);
});

test('a channel is unsubscribed when its last reader leaves', async () => {
  const { wakeup, subscriber } = setup();
  const first = wakeup.subscribe(address, () => undefined);
  const second = wakeup.subscribe(address, () => undefined);
  await flush();
  first();
  assert.equal(subscriber().unsubscribed.includes(keys.streamChannel(address)), false);
  second();
  assert.ok(subscriber().unsubscribed.includes(keys.streamChannel(address)));
});

test('a lost connection switches readers to polling and back, logged once each way with the errors in between counted', async () => {
  const warnings: string[] = [];
  const logs: string[] = [];
  const debugs: string[] = [];
  Logger.overrideLogger({
    log: (message: string) => logs.push(message),
    warn: (message: string) => warnings.push(message),
    error: () => undefined,
    debug: (message: string) => debugs.push(message),
    verbose: () => undefined,
  });
  try {
    const { wakeup, subscriber } = setup();
    let wakes = 0;
    wakeup.subscribe(address, () => wakes++);
    await flush();
    assert.equal(wakeup.reachesOtherProcesses, true);
    wakes = 0;
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6399'), { code: 'ECONNREFUSED' });
    subscriber().isReady = false;
    subscriber().emit('error', new Error('Socket closed unexpectedly'));
    subscriber().drop();
    for (let attempt = 0; attempt < 5; attempt++) {
      subscriber().emit('error', refused);
      subscriber().drop();
    }
    assert.equal(wakeup.reachesOtherProcesses, false);
    assert.equal(wakes, 1, 'waiting readers are woken so they start polling');
    subscriber().becomeReady();
    assert.equal(wakeup.reachesOtherProcesses, true);
    assert.equal(wakes, 2, 'readers re-read what they may have missed');
    assert.deepEqual(warnings.length, 1, `one warning: ${JSON.stringify(warnings)}`);
    assert.match(warnings[0], /^Redis pub\/sub subscriber disconnected \(Socket closed unexpectedly\): readers poll/);
    assert.equal(logs.length, 1, `one line at the end: ${JSON.stringify(logs)}`);
    assert.match(
      logs[0],
      /^Redis pub\/sub subscriber reconnected after \d+\.\d s \(6 error\(s\) meanwhile\): readers are woken by pushes again\.$/,
    );
    assert.deepEqual(debugs, [], 'the errors in between are counted, not logged');
  } finally {
    Logger.overrideLogger(new Logger());
  }
});

test('the events of a write reach local readers and travel to other instances with the wake-up', async () => {
  const { publisher, wakeup, subscriber } = setup();
  const received: (AppendedEvents | undefined)[] = [];
  wakeup.subscribe(address, (appended) => received.push(appended));
  await flush();
  received.length = 0;
  const appended = new AppendedEvents(5, [encodeEvent('five', undefined, undefined, 0)]);
  wakeup.notify(address, appended);
  assert.deepEqual(received, [appended], 'local readers get the very events');
  const [[channel, message]] = publisher.published;
  subscriber().deliver(channel, message.replace(/^[^\n]+/, 'another-instance'));
  assert.equal(received.length, 2);
  assert.equal(received[1]?.firstSequence, 5);
  assert.deepEqual(received[1]?.record(5), { data: 'five' });
});

test("an append's wake-up from another instance reports its writer's time; its own, other wake-ups and garbage report none", async () => {
  const publisher = new FakeRedisClient();
  const reported: number[] = [];
  const wakeup = new RedisStreamWakeup(publisher, keys, (writtenAt) => reported.push(writtenAt));
  let wakes = 0;
  wakeup.subscribe(address, () => wakes++);
  await flush();
  const subscriber = publisher.duplicates[0];
  const channel = keys.streamChannel(address);
  const event = encodeEvent('e', undefined, undefined, 0);

  const before = Date.now();
  wakeup.notify(address, new AppendedEvents(1, [event]));
  wakeup.notify(address);
  const [[, own], [, ownUpdate]] = publisher.published;
  assert.match(own, /^[^@\n]+@\d+\n1\n/, 'the append is stamped');
  const stamped = Number(own.slice(own.indexOf('@') + 1, own.indexOf('\n')));
  assert.ok(stamped >= before && stamped <= Date.now());
  assert.doesNotMatch(ownUpdate, /@/, 'a wake-up that is not an append carries no time');

  wakes = 0;
  subscriber.deliver(channel, own);
  assert.deepEqual(reported, [], 'the own echo reports nothing');
  for (const garbage of ['another@', 'another@abc\n1\n{}', 'another@-1', 'another@1e9', '@', '\n\n\n', 'another@12@34', 'another']) {
    subscriber.deliver(channel, garbage);
  }
  assert.deepEqual(reported, [], 'malformed or untimed wake-ups report nothing');
  assert.equal(wakes, 8, 'and still wake the readers');
  subscriber.deliver(keys.sessionChannel('s'), 'another@123');
  subscriber.deliver(channel, `another@1765000000123\n1\n${event}`);
  subscriber.deliver(channel, 'another@1765000000456');
  assert.deepEqual(reported, [1_765_000_000_123, 1_765_000_000_456]);
  await wakeup.close();
});

test('push is reported until the subscriber connection is needed and down', async () => {
  const { wakeup, subscriber } = setup();
  assert.equal(wakeup.pushes, true, 'no reader has waited yet: nothing polls');
  wakeup.subscribe(address, () => undefined);
  assert.equal(wakeup.pushes, false, 'connecting: readers poll');
  await flush();
  assert.equal(wakeup.pushes, true);
  subscriber().drop();
  assert.equal(wakeup.pushes, false);
  subscriber().becomeReady();
  assert.equal(wakeup.pushes, true);
  await wakeup.close();
});
