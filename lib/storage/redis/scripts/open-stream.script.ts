import { luaScript, integerReply, type RedisScript } from './redis-script';
import { ScriptReplyCode } from './lua-prelude';
import { type LayoutInput, ScriptLayout } from './script-layout';

/** KEYS and ARGV of the open script. */
export const OPEN_STREAM_LAYOUT = new ScriptLayout(
  ['tombstone', 'index', 'metadata', 'events'],
  [
    // The stream's member in the session index.
    'member',
    'mode',
    'now',
    'indexTtl',
    'metadataTtl',
    // Most streams per session.
    'maxStreams',
    // False refuses a completed stream.
    'reopenCompleted',
  ],
);

/** What the open script is called with. */
export type OpenStreamInput = LayoutInput<typeof OPEN_STREAM_LAYOUT>;

/** What the open script answers. */
export type OpenStreamResult =
  | { status: 'opened'; lastSequence: number }
  | { status: 'session-deleted' }
  | { status: 'session-full' }
  | { status: 'stream-completed' };

const lua = luaScript(
  'open',
  `${OPEN_STREAM_LAYOUT.luaBindings()}
if redis.call('EXISTS', tombstone_key) == 1 then return SESSION_DELETED end
local stored_last = redis.call('HGET', metadata_key, 'l')
local last, completed
if stored_last then last, completed = decode_last(stored_last) end
if reopen_completed == '0' and completed then return STREAM_COMPLETED end
if redis.call('SISMEMBER', index_key, member) == 0 and redis.call('SCARD', index_key) >= tonumber(max_streams) then return SESSION_FULL end
redis.call('SADD', index_key, member)
redis.call('PEXPIRE', index_key, index_ttl)
if stored_last then
  redis.call('HSET', metadata_key, 'm', mode, 'l', encode_last(last, false), 'w', now)
else
  last = restore_metadata(metadata_key, events_key, mode, 0, now)
end
redis.call('PEXPIRE', metadata_key, metadata_ttl)
return last
`,
);

/**
 * Registers a stream in its session and (re)opens it for a writer: mode set, not completed. A
 * stream the session does not hold yet is refused when the session holds the most it may.
 * Answers the stream's last sequence.
 */
export const OPEN_STREAM: RedisScript<OpenStreamInput, OpenStreamResult> = {
  lua,
  encode: ({ keys, args }) => OPEN_STREAM_LAYOUT.encode(keys, args),
  decode(reply) {
    const code = integerReply(lua, reply);
    if (code === ScriptReplyCode.sessionDeleted) return { status: 'session-deleted' };
    if (code === ScriptReplyCode.sessionFull) return { status: 'session-full' };
    if (code === ScriptReplyCode.streamCompleted) return { status: 'stream-completed' };
    return { status: 'opened', lastSequence: code };
  },
};
