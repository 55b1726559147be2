import { waitFor } from './async';

/** The data of the sample's countdown log messages. */
export interface CountdownTick {
  progress: number;
  total: number;
}

/** What the SDK versions' clients have in common, as far as these helpers go. */
interface ClosableClient {
  close(): Promise<void>;
}

/** What the SDK versions' Streamable HTTP client transports have in common, as far as these helpers go. */
interface SessionTransport {
  readonly sessionId?: string;
  terminateSession(): Promise<void>;
}

/** A log message's parameters, as either SDK version types them. */
interface LogMessageParams {
  logger?: string;
  data: unknown;
}

/**
 * An official MCP SDK client connected to an endpoint, recording the log messages it receives and
 * the errors its transport reports: what the tests read, whichever SDK version made it.
 */
export abstract class RecordingMcpClient<C extends ClosableClient, T extends SessionTransport, L extends LogMessageParams> {
  readonly logMessages: L[] = [];
  readonly errors: Error[] = [];

  protected constructor(
    readonly client: C,
    readonly transport: T,
  ) {}

  get sessionId(): string {
    const { sessionId } = this.transport;
    if (!sessionId) throw new Error('The server gave the client no session id.');
    return sessionId;
  }

  /** The `{ progress, total }` data of the log messages of one logger, in the order they arrived. */
  ticksOf(logger: string): CountdownTick[] {
    return this.logMessages.filter((message) => message.logger === logger).map((message) => message.data as CountdownTick);
  }

  /** Waits until `count` log messages of the logger arrived. */
  async waitForTicks(logger: string, count: number, timeoutMs = 20_000): Promise<CountdownTick[]> {
    await waitFor(() => this.ticksOf(logger).length >= count, `${count} '${logger}' log messages`, timeoutMs);
    return this.ticksOf(logger);
  }

  /** Disconnects without ending the session. */
  async close(): Promise<void> {
    await this.client.close();
  }

  /** Ends the session (DELETE), then disconnects. */
  async endSession(): Promise<void> {
    try {
      await this.transport.terminateSession();
    } finally {
      await this.client.close();
    }
  }
}
