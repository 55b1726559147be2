import type { SseEventStreamMode } from '../../../interfaces/sse-event-stream-mode.enum';
import type { StreamSnapshot } from '../../stream-storage.interface';
import { luaScript, type RedisScript, unexpectedReply } from './redis-script';
import { type LayoutInput, ScriptLayout } from './script-layout';

/** KEYS and ARGV of the read script. */
export const READ_STREAM_LAYOUT = new ScriptLayout(
  ['tombstone', 'metadata', 'events'],
  ['now', 'eventSliding', 'eventAbsolute', 'metadataSliding', 'metadataAbsolute'],
);

/** What the read script is called with. */
export type ReadStreamInput = LayoutInput<typeof READ_STREAM_LAYOUT>;

/** What the read script answers: the stream's state, or why there is none. */
export type ReadStreamResult = { status: 'deleted' } | { status: 'missing' } | { status: 'found'; snapshot: StreamSnapshot };

const lua = luaScript(
  'read',
  `${READ_STREAM_LAYOUT.luaBindings()}
if redis.call('EXISTS', tombstone_key) == 1 then return {'deleted'} end
local state = redis.call('HMGET', metadata_key, 'm', 'l', 'w', 't')
if not state[1] then return {'missing'} end
now = tonumber(now)
local last, completed = decode_last(state[2] or 0)
local length = redis.call('XLEN', events_key)
local first = last - length + 1
-- The retention cap never empties a stream: no events at all means they expired or were evicted,
-- the last one too. A client that has it missed nothing; any other is told its history is gone.
if length == 0 and last > 0 then first = last end
event_sliding, metadata_sliding = tonumber(event_sliding), tonumber(metadata_sliding)
local metadata_written_at = written_at(state[3], state[4]) or now
extend(metadata_key, math.min(metadata_sliding, metadata_written_at + tonumber(metadata_absolute) - now), metadata_sliding / 10)
if state[4] then
  extend(events_key, math.min(event_sliding, tonumber(state[4]) + tonumber(event_absolute) - now), event_sliding / 10)
end
return {'found', state[1], completed and '1' or '0', first, last}
`,
);

/**
 * Reads a stream's state, and slides the expiry of its keys (by more than a tenth of the window,
 * so steady reading does not rewrite them on every call; never past the absolute limits). The
 * events themselves are read with an `XRANGE` sent right behind it, in the same round trip:
 * returned through Lua, every entry would be copied twice more.
 */
export const READ_STREAM: RedisScript<ReadStreamInput, ReadStreamResult> = {
  lua,
  encode: ({ keys, args }) => READ_STREAM_LAYOUT.encode(keys, args),
  decode(reply) {
    if (!Array.isArray(reply)) throw unexpectedReply(lua);
    const [status, mode, completed, first, last] = reply as unknown[];
    if (status === 'deleted' || status === 'missing') return { status };
    const snapshot = {
      mode: mode as SseEventStreamMode,
      completed: completed === '1',
      firstSequence: Number(first),
      lastSequence: Number(last),
    };
    if (status !== 'found' || !Number.isInteger(snapshot.firstSequence) || !Number.isInteger(snapshot.lastSequence))
      throw unexpectedReply(lua);
    return { status, snapshot };
  },
};
