import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { AppendedEvents } from '../encoding/appended-events';
import {
  decodeBroadcastMessage,
  decodeWakeupMessage,
  encodeBroadcastMessage,
  encodeWakeupMessage,
  isFromOrigin,
} from '../encoding/wakeup-message';
import type { SseStreamAddress } from '../interfaces/sse-event.interface';
import { OutageLog } from '../logging/outage-log';
import { destroyOwnedClient } from '../redis/destroy-owned-client';
import type { RedisPubSubClient } from '../redis/redis-pub-sub-client.interface';
import { LocalStreamWakeup } from './local-stream-wakeup';
import { type BroadcastListener, StreamWakeup, type WakeupListener } from './stream-wakeup.interface';
import type { WakeupChannels } from './wakeup-channels';

/** What a subscribed channel is for: a stream's readers, a session's readers, or a broadcast topic. */
type ChannelTarget = SseStreamAddress | string | { topic: string };

/**
 * Where a writer on the same Redis server publishes a stream's wake-up itself (a script that
 * stores and then `PUBLISH`es, in one round trip): the stream's channel, and the message that
 * starts every wake-up of this process, so the subscriber here skips what was delivered locally.
 */
export interface WakeupPublicationTarget {
  channel(address: SseStreamAddress): string;
  readonly message: string;
}

/**
 * Wake-ups across instances through Redis pub/sub: one subscriber connection per process,
 * duplicated from the given client (so it has the cache's connection settings), shared by all
 * readers. A channel is subscribed while a reader of this process waits on it.
 *
 * While the subscriber is not connected, `reachesOtherProcesses` is false, so readers poll;
 * every change of that state wakes all readers, so none waits with the wrong strategy, and on
 * recovery each re-reads what it may have missed.
 */
export class RedisStreamWakeup extends StreamWakeup {
  private readonly logger = new Logger('SseEventStore');
  private readonly local = new LocalStreamWakeup();
  /** Identifies this process's own messages, which it has already delivered locally. */
  private readonly origin = randomUUID();
  private readonly channels = new Map<string, { address: ChannelTarget; readers: number }>();
  private subscriber?: RedisPubSubClient;
  private connecting?: Promise<unknown>;
  private connected = false;
  private closed = false;
  /** The subscriber's outages: one warning when one starts, one line when it ends; errors in between are counted. */
  private readonly outage = new OutageLog(this.logger, {
    started: (cause) =>
      `Redis pub/sub subscriber disconnected (${cause}): readers poll for new events until it reconnects; ` +
      'further errors are counted, not logged.',
    ended: (duration, errors) =>
      `Redis pub/sub subscriber reconnected after ${duration} (${errors} error(s) meanwhile): readers are woken by pushes again.`,
  });
  /** The subscriber's last error, named when its connection closes without one. */
  private lastError?: unknown;

  constructor(
    private readonly publisher: RedisPubSubClient,
    private readonly channelNames: WakeupChannels,
    /** Called with the writer's time of each append's wake-up from another process that reaches a reader here. */
    private readonly onRemoteAppend: (writtenAt: number) => void = () => undefined,
  ) {
    super();
  }

  get reachesOtherProcesses(): boolean {
    return this.connected;
  }

  /** False while readers here poll because the subscriber connection is down; true before any reader needed it. */
  get pushes(): boolean {
    return this.connected || (!this.subscriber && !this.closed);
  }

  subscribe(address: SseStreamAddress, listener: WakeupListener): () => void {
    const unsubscribeLocal = this.local.subscribe(address, listener);
    const streamChannel = this.channelNames.streamChannel(address);
    const sessionChannel = this.channelNames.sessionChannel(address.sessionId);
    this.retain(streamChannel, address);
    this.retain(sessionChannel, address.sessionId);
    return () => {
      unsubscribeLocal();
      this.release(streamChannel);
      this.release(sessionChannel);
    };
  }

  notify(address: SseStreamAddress, appended?: AppendedEvents): void {
    this.local.notify(address, appended);
    this.publish(this.channelNames.streamChannel(address), encodeWakeupMessage(this.origin, appended, appended && Date.now()));
  }

  notifyLocal(address: SseStreamAddress, appended?: AppendedEvents): void {
    this.local.notify(address, appended);
  }

  notifySession(sessionId: string): void {
    this.local.notifySession(sessionId);
    this.publish(this.channelNames.sessionChannel(sessionId), this.origin);
  }

  broadcast(topic: string, message: string): void {
    this.local.broadcast(topic, message);
    this.publish(this.channelNames.broadcastChannel(topic), encodeBroadcastMessage(this.origin, message));
  }

  onBroadcast(topic: string, listener: BroadcastListener): () => void {
    const unsubscribeLocal = this.local.onBroadcast(topic, listener);
    const channel = this.channelNames.broadcastChannel(topic);
    this.retain(channel, { topic });
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      unsubscribeLocal();
      this.release(channel);
    };
  }

  /**
   * Where a storage writing through the client these wake-ups publish on may publish them itself:
   * the same channels, with this process's origin starting each message (see
   * `encoding/wakeup-message.ts`). Whether a storage does is decided where the store is assembled.
   */
  get publicationTarget(): WakeupPublicationTarget {
    return { channel: (address) => this.channelNames.streamChannel(address), message: this.origin };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.connected = false;
    const subscriber = this.subscriber;
    if (subscriber) await destroyOwnedClient(subscriber, this.connecting);
  }

  private publish(channel: string, message: string): void {
    this.publisher.publish(channel, message).catch((error: unknown) => this.reportError('A wake-up could not be published', error));
  }

  private retain(channel: string, address: ChannelTarget): void {
    const entry = this.channels.get(channel);
    if (entry) {
      entry.readers++;
      return;
    }
    const retained = { address, readers: 1 };
    this.channels.set(channel, retained);
    const subscriber = this.ensureSubscriber();
    // After the connection is made: a cluster client that is still discovering its nodes has none
    // to subscribe on, and fails (a single-server client would queue the command). A channel
    // released meanwhile is not subscribed at all.
    void this.connecting
      ?.then(async () => {
        if (this.channels.get(channel) === retained) await subscriber.subscribe(channel, (message) => this.deliver(channel, message));
      })
      // Once the channel is live, the reader re-checks: a write between its first read and
      // this moment reached nobody.
      .then(() => this.deliver(channel, undefined))
      .catch((error: unknown) => this.reportError('Subscribing to a wake-up channel failed', error));
  }

  private release(channel: string): void {
    const entry = this.channels.get(channel);
    if (!entry || --entry.readers > 0) return;
    this.channels.delete(channel);
    this.subscriber?.unsubscribe(channel).catch(() => undefined);
  }

  private deliver(channel: string, message: string | undefined): void {
    // This process's own wake-ups were delivered here when they were published.
    if (message !== undefined && isFromOrigin(message, this.origin)) return;
    const entry = this.channels.get(channel);
    if (!entry) return;
    if (typeof entry.address === 'object' && 'topic' in entry.address) {
      // The re-check after subscribing (no message) has nothing to deliver.
      const broadcast = message === undefined ? undefined : decodeBroadcastMessage(message);
      if (broadcast !== undefined) this.local.broadcast(entry.address.topic, broadcast);
      return;
    }
    if (typeof entry.address === 'string') {
      this.local.notifySession(entry.address);
      return;
    }
    const decoded = message === undefined ? undefined : decodeWakeupMessage(message);
    if (decoded?.writtenAt !== undefined) this.onRemoteAppend(decoded.writtenAt);
    this.local.notify(entry.address, decoded?.appended);
  }

  private ensureSubscriber(): RedisPubSubClient {
    if (this.subscriber) return this.subscriber;
    const subscriber = this.publisher.duplicate();
    this.subscriber = subscriber;
    subscriber.on('ready', () => {
      if (this.closed) return;
      this.lastError = undefined;
      this.outage.succeeded();
      this.setConnected(true);
    });
    subscriber.on('end', () => this.lose(undefined));
    subscriber.on('reconnecting', () => this.lose(undefined));
    subscriber.on('error', (error: unknown) => {
      this.lastError = error;
      if (subscriber.isReady) this.reportError('Wake-up subscriber', error);
      else this.lose(error);
    });
    this.connecting = subscriber.connect().catch((error: unknown) => this.lose(error));
    return subscriber;
  }

  /**
   * The subscriber is not connected: `error` is one more failure of the outage (which it starts if
   * none is under way); a close without an error starts one only if none is under way.
   */
  private lose(error: unknown): void {
    if (this.closed) return;
    if (error !== undefined) this.outage.failed(error);
    else if (!this.outage.isOut) this.outage.failed(this.lastError ?? new Error('the connection closed'));
    this.setConnected(false);
  }

  /** An error of a call while the subscriber is connected is logged at debug level; during an outage it is only counted. */
  private reportError(what: string, error: unknown): void {
    if (this.outage.isOut) this.outage.failed(error);
    else this.logger.debug(`${what}: ${String(error)}`);
  }

  private setConnected(connected: boolean): void {
    if (this.closed || connected === this.connected) return;
    this.connected = connected;
    // Readers re-read (catching up on anything missed) and wait with the strategy that fits now.
    this.local.notifyAll();
  }
}
