import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type LoggingMessageNotification, LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { waitFor } from './async';

/** The data of the sample's countdown log messages. */
export interface CountdownTick {
  progress: number;
  total: number;
}

/**
 * The official SDK client (`Client` on `StreamableHTTPClientTransport`), connected to an MCP
 * endpoint, recording the log messages it receives and the errors its transport reports.
 */
export class McpSdkClient {
  readonly logMessages: LoggingMessageNotification['params'][] = [];
  readonly errors: Error[] = [];

  private constructor(
    readonly client: Client,
    readonly transport: StreamableHTTPClientTransport,
  ) {}

  /** Connects (initialize, then the standalone GET stream the SDK opens by itself). */
  static async connect(url: string): Promise<McpSdkClient> {
    const client = new Client({ name: 'sdk-test-client', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(url));
    const connected = new McpSdkClient(client, transport);
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
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

/** The text of a tool result's first content item. */
export function resultText(result: unknown): string | undefined {
  const content = (result as { content?: { type: string; text?: string }[] }).content;
  return content?.[0]?.type === 'text' ? content[0].text : undefined;
}

/** `[1, 2, ..., count]` */
export function oneTo(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index + 1);
}
