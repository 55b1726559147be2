import {
  Client,
  type LoggingMessageNotificationParams,
  StreamableHTTPClientTransport,
  type StreamableHTTPReconnectionOptions,
} from '@modelcontextprotocol/client';
import { RecordingMcpClient } from './recording-mcp-client';

/**
 * The official SDK v2 client (`Client` and `StreamableHTTPClientTransport` of
 * `@modelcontextprotocol/client`), connected to an MCP endpoint with the 2025 handshake (the v2
 * client's default `versionNegotiation: 'legacy'`: `initialize`, then the standalone GET stream
 * it opens by itself), recording the log messages it receives and the errors its transport reports.
 * The counterpart of {@link McpSdkClient} (SDK 1.x).
 */
export class McpSdkV2Client extends RecordingMcpClient<Client, StreamableHTTPClientTransport, LoggingMessageNotificationParams> {
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
}
