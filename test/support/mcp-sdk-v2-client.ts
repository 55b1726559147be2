import {
  Client,
  type LoggingMessageNotificationParams,
  StreamableHTTPClientTransport,
  type StreamableHTTPReconnectionOptions,
} from '@modelcontextprotocol/client';
import { waitFor } from './async';
import type { CountdownTick } from './mcp-sdk-client';

/**
 * The official SDK v2 client (`Client` and `StreamableHTTPClientTransport` of
 * `@modelcontextprotocol/client`), connected to an MCP endpoint with the 2025 handshake (the v2
 * client's default `versionNegotiation: 'legacy'`: `initialize`, then the standalone GET stream
 * it opens by itself), recording the log messages it receives and the errors its transport reports.
 * The counterpart of {@link McpSdkClient} (SDK 1.x).
 */
export class McpSdkV2Client {
  readonly logMessages: LoggingMessageNotificationParams[] = [];
  readonly errors: Error[] = [];

  private constructor(
    readonly client: Client,
    readonly transport: StreamableHTTPClientTransport,
  ) {}

  /**
   * Connects. `reconnectionOptions` are the transport's (SDK defaults when not given: 2 attempts
   * per broken stream, the server's `retry` as the delay once it sent one).
   */
  static async connect(url: string, reconnectionOptions?: StreamableHTTPReconnectionOptions): Promise<McpSdkV2Client> {
    const client = new Client({ name: 'sdk-v2-test-client', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(url), reconnectionOptions ? { reconnectionOptions } : {});
    const connected = new McpSdkV2Client(client, transport);
    client.setNotificationHandler('notifications/message', (notification) => {
      connected.logMessages.push(notification.params);
    });
    client.onerror = (error) => connected.errors.push(error);
    await client.connect(transport);
    return connected;
  }

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
