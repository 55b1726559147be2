import { createClient } from '@redis/client';
import { KeyNamespace } from '../../lib/encoding/key-namespace';
import { REDIS_URL } from './caches';

/** The Redis keys of the native layout under `keyPrefix` that belong to an MCP session, and its store sessions (decoded). */
export interface McpSessionKeys {
  keys: string[];
  sessions: Set<string>;
}

/** Lists the keys of an MCP session's store sessions in the Redis at `REDIS_URL`. */
export async function mcpSessionKeys(keyPrefix: string, mcpSessionId: string): Promise<McpSessionKeys> {
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  try {
    // Store sessions of an MCP session have ids that start with the MCP session id: the base64url of
    // its first whole 3-byte groups is a prefix of theirs.
    const bytes = Buffer.from(mcpSessionId, 'utf8');
    const stem = bytes.subarray(0, bytes.length - (bytes.length % 3)).toString('base64url');
    // Where a session's hash tag starts: the store's namespace, then '{'.
    const root = `${new KeyNamespace(keyPrefix).root}{`;
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${root}${stem}*`, COUNT: 1000 })) keys.push(...batch);
    const sessions = new Set<string>();
    const owned = keys.filter((key) => {
      const encoded = key.slice(root.length, key.indexOf('}', root.length));
      const session = Buffer.from(encoded, 'base64url').toString('utf8');
      if (!session.startsWith(mcpSessionId)) return false;
      sessions.add(session);
      return true;
    });
    return { keys: owned.sort(), sessions };
  } finally {
    await client.close();
  }
}
