import { luaScript, type RedisScript, unexpectedReply } from './redis-script';
import { type LayoutInput, ScriptLayout } from './script-layout';

/** KEYS and ARGV of the delete script. */
export const DELETE_SESSION_LAYOUT = new ScriptLayout(['tombstone', 'index'], ['tombstoneTtl']);

/** What the delete script is called with. */
export type DeleteSessionInput = LayoutInput<typeof DELETE_SESSION_LAYOUT>;

const lua = luaScript(
  'delete',
  `${DELETE_SESSION_LAYOUT.luaBindings()}
redis.call('SET', tombstone_key, '1', 'PX', tombstone_ttl)
return redis.call('SMEMBERS', index_key)
`,
);

/**
 * Marks a session deleted and lists its streams, in one step: a stream opened concurrently, in
 * any process, is either listed here or refused by the tombstone. Answers the index members.
 */
export const DELETE_SESSION: RedisScript<DeleteSessionInput, string[]> = {
  lua,
  encode: ({ keys, args }) => DELETE_SESSION_LAYOUT.encode(keys, args),
  decode(reply) {
    if (!Array.isArray(reply) || !reply.every((member) => typeof member === 'string')) throw unexpectedReply(lua);
    return reply;
  },
};
