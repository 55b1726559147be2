import { integerReply, luaScript, type RedisScript } from './redis-script';
import { ScriptLayout } from './script-layout';

/** KEYS of the prune script, followed by the metadata key of each member (its ARGV are the members). */
export const PRUNE_INDEX_LAYOUT = new ScriptLayout(['index'], []);

/** What the prune script is called with. */
export interface PruneIndexInput {
  index: string;
  /** The index members, each with its stream's metadata key. */
  members: readonly { member: string; metadata: string }[];
}

const lua = luaScript(
  'prune',
  `${PRUNE_INDEX_LAYOUT.luaBindings()}
local metadata_keys = ${PRUNE_INDEX_LAYOUT.keys.length}
for i = 1, #ARGV do
  if redis.call('EXISTS', KEYS[metadata_keys + i]) == 0 then redis.call('SREM', index_key, ARGV[i]) end
end
return redis.call('SCARD', index_key)
`,
);

/**
 * Drops from a session's index the streams whose metadata is gone (expired or evicted): they no
 * longer count against the session's limit. Answers how many streams the index holds afterwards.
 */
export const PRUNE_INDEX: RedisScript<PruneIndexInput, number> = {
  lua,
  encode({ index, members }) {
    const call = PRUNE_INDEX_LAYOUT.encode({ index }, {});
    for (const { member, metadata } of members) {
      call.keys.push(metadata);
      call.args.push(member);
    }
    return call;
  },
  decode: (reply) => integerReply(lua, reply),
};
