import type { SseStreamAddress } from '../interfaces/sse-event.interface';
import type { AppendedEvents } from '../encoding/appended-events';
import { type BroadcastListener, StreamWakeup, type WakeupListener } from './stream-wakeup.interface';

type Listeners = Set<WakeupListener>;

/** Wake-ups within this process: waiting readers by session, then by stream. */
export class LocalStreamWakeup extends StreamWakeup {
  readonly reachesOtherProcesses = false;
  private readonly sessions = new Map<string, Map<string, Listeners>>();
  private readonly topics = new Map<string, Set<BroadcastListener>>();

  subscribe({ sessionId, streamId }: SseStreamAddress, listener: WakeupListener): () => void {
    let streams = this.sessions.get(sessionId);
    if (!streams) this.sessions.set(sessionId, (streams = new Map()));
    let listeners = streams.get(streamId);
    if (!listeners) streams.set(streamId, (listeners = new Set()));
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size > 0) return;
      streams.delete(streamId);
      if (streams.size === 0) this.sessions.delete(sessionId);
    };
  }

  notify({ sessionId, streamId }: SseStreamAddress, appended?: AppendedEvents): void {
    wake(this.sessions.get(sessionId)?.get(streamId), appended);
  }

  /** The same as {@link notify}: this process is the only one these wake-ups reach. */
  notifyLocal(address: SseStreamAddress, appended?: AppendedEvents): void {
    this.notify(address, appended);
  }

  notifySession(sessionId: string): void {
    for (const listeners of this.sessions.get(sessionId)?.values() ?? []) wake(listeners);
  }

  broadcast(topic: string, message: string): void {
    const listeners = this.topics.get(topic);
    if (!listeners) return;
    // Copied: a listener may unsubscribe while being called.
    for (const listener of [...listeners]) listener(message);
  }

  onBroadcast(topic: string, listener: BroadcastListener): () => void {
    let listeners = this.topics.get(topic);
    if (!listeners) this.topics.set(topic, (listeners = new Set()));
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.topics.get(topic) === listeners) this.topics.delete(topic);
    };
  }

  /** Forgets every listener: nothing else is held. */
  async close(): Promise<void> {
    this.sessions.clear();
    this.topics.clear();
  }

  /** Wakes every waiting reader of the process (when the way they are woken changes). */
  notifyAll(): void {
    for (const sessionId of [...this.sessions.keys()]) this.notifySession(sessionId);
  }
}

function wake(listeners: Listeners | undefined, appended?: AppendedEvents): void {
  if (!listeners) return;
  // Copied: a listener may unsubscribe while being called.
  for (const listener of [...listeners]) listener(appended);
}
