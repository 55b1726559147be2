import { integerReply, luaScript, type RedisScript, unexpectedReply } from './redis-script';
import { ScriptReplyCode } from './lua-prelude';
import { type LayoutInput, ScriptLayout } from './script-layout';

/** KEYS and ARGV of the update script. */
export const UPDATE_STREAM_LAYOUT = new ScriptLayout(
  ['tombstone', 'metadata', 'events'],
  [
    'now',
    'metadataTtl',
    'mode',
    // '1', '0', or '' to leave it as it is.
    'completed',
    // The last sequence the writer knows, for metadata that has to be restored.
    'knownLast',
    'channel',
    // The wake-up message ('' publishes none).
    'message',
  ],
);

/** What the update script is called with; `completed` absent leaves it as it is. */
export interface UpdateStreamInput {
  keys: LayoutInput<typeof UPDATE_STREAM_LAYOUT>['keys'];
  args: Omit<LayoutInput<typeof UPDATE_STREAM_LAYOUT>['args'], 'completed'> & { completed?: boolean };
}

/** What the update script answers. */
export type UpdateStreamResult = { status: 'updated' } | { status: 'session-deleted' };

const lua = luaScript(
  'update',
  `${UPDATE_STREAM_LAYOUT.luaBindings()}
if redis.call('EXISTS', tombstone_key) == 1 then return SESSION_DELETED end
local stored_last = redis.call('HGET', metadata_key, 'l')
if not stored_last then stored_last = restore_metadata(metadata_key, events_key, mode, known_last, now) end
redis.call('HSET', metadata_key, 'm', mode, 'w', now)
if completed ~= '' then
  local last, was_completed = decode_last(stored_last)
  if was_completed ~= (completed == '1') then redis.call('HSET', metadata_key, 'l', encode_last(last, not was_completed)) end
end
redis.call('PEXPIRE', metadata_key, metadata_ttl)
if message ~= '' then redis.call('PUBLISH', channel, message) end
return 0
`,
);

/** Stores a mode change or completion and publishes the wake-up. */
export const UPDATE_STREAM: RedisScript<UpdateStreamInput, UpdateStreamResult> = {
  lua,
  encode: ({ keys, args }) => UPDATE_STREAM_LAYOUT.encode(keys, { ...args, completed: args.completed ?? '' }),
  decode(reply) {
    const code = integerReply(lua, reply);
    if (code === ScriptReplyCode.sessionDeleted) return { status: 'session-deleted' };
    if (code !== 0) throw unexpectedReply(lua);
    return { status: 'updated' };
  },
};
