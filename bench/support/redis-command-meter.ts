import diagnosticsChannel from 'node:diagnostics_channel';

interface TraceContext {
  clientId?: string;
  batchMode?: 'MULTI' | 'PIPELINE';
  batchSize?: number;
}

/**
 * Counts what node-redis clients of this process send, through the tracing channels node-redis
 * publishes (`node-redis:command`, `node-redis:batch`):
 *
 * - commands: every command, MULTI and EXEC included;
 * - round trips: node-redis queues the commands issued before the next `setImmediate` and
 *   writes them to the socket together; each such write is answered by one batch of replies.
 *   A round trip is counted when a client issues its first command since its last write
 *   (the same `setImmediate` boundary node-redis uses), so concurrent commands share one.
 *
 * Counts cover every client in the process, so a measurement runs with nothing else talking to Redis.
 */
export class RedisCommandMeter {
  commands = 0;
  roundTrips = 0;
  private readonly openWrites = new Set<string>();
  private readonly commandChannel = diagnosticsChannel.tracingChannel<unknown, TraceContext>('node-redis:command');
  private readonly batchChannel = diagnosticsChannel.tracingChannel<unknown, TraceContext>('node-redis:batch');
  private readonly onCommand = { start: (context: TraceContext) => this.record(context, 1) };
  private readonly onBatch = {
    // Pipelined commands are also traced one by one; MULTI blocks only as a batch.
    start: (context: TraceContext) => this.record(context, context.batchMode === 'MULTI' ? (context.batchSize ?? 0) + 2 : 0),
  };

  start(): this {
    this.commandChannel.subscribe(this.onCommand as never);
    this.batchChannel.subscribe(this.onBatch as never);
    return this;
  }

  stop(): void {
    this.commandChannel.unsubscribe(this.onCommand as never);
    this.batchChannel.unsubscribe(this.onBatch as never);
  }

  reset(): void {
    this.commands = 0;
    this.roundTrips = 0;
  }

  private record(context: TraceContext, commands: number): void {
    this.commands += commands;
    const client = context.clientId ?? 'unknown';
    if (this.openWrites.has(client)) return;
    this.openWrites.add(client);
    this.roundTrips++;
    setImmediate(() => this.openWrites.delete(client));
  }
}
