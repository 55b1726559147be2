import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type LoggingMessageNotification, LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { RecordingMcpClient } from './recording-mcp-client';

/**
 * The official SDK client (`Client` on `StreamableHTTPClientTransport`), connected to an MCP
 * endpoint, recording the log messages it receives and the errors its transport reports.
 */
export class McpSdkClient extends RecordingMcpClient<Client, StreamableHTTPClientTransport, LoggingMessageNotification['params']> {
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
