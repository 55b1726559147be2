import { integerReply, luaScript, type RedisScript } from './redis-script';
import { type LayoutInput, ScriptLayout } from './script-layout';

/** KEYS and ARGV of the touch script. */
export const TOUCH_STREAM_LAYOUT = new ScriptLayout(['metadata'], ['now', 'metadataSliding', 'metadataAbsolute']);

/** What the touch script is called with. */
export type TouchStreamInput = LayoutInput<typeof TOUCH_STREAM_LAYOUT>;

const lua = luaScript(
  'touch',
  `${TOUCH_STREAM_LAYOUT.luaBindings()}
local state = redis.call('HMGET', metadata_key, 'w', 't')
local written = written_at(state[1], state[2])
if written then
  extend(metadata_key, math.min(tonumber(metadata_sliding), written + tonumber(metadata_absolute) - tonumber(now)), 0)
end
return 0
`,
);

/**
 * Keeps an open writer's metadata alive while it writes nothing: extends its sliding TTL, never
 * past the absolute limit counted from its last write.
 */
export const TOUCH_STREAM: RedisScript<TouchStreamInput, void> = {
  lua,
  encode: ({ keys, args }) => TOUCH_STREAM_LAYOUT.encode(keys, args),
  decode(reply) {
    integerReply(lua, reply);
  },
};
