/**
 * The event every scenario writes: an MCP progress notification (about 110 bytes of JSON), the
 * typical small event of an SSE stream. Raw Redis writes store its JSON text.
 */
export function benchEvent(n: number, extra?: Record<string, unknown>): Record<string, unknown> {
  return {
    jsonrpc: '2.0',
    method: 'notifications/progress',
    params: { progressToken: 'bench-progress-token', progress: n, total: 1_000_000, message: 'working' },
    ...extra,
  };
}
