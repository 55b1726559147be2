import { luaName } from './script-layout';

/*
 * What every script of the native Redis layout (see `RedisStreamKeys`) starts with. Each script
 * runs atomically, so a sequence is assigned, stored and published in one step that no other
 * writer or reader can interleave with. Times are milliseconds since the epoch, passed in by the
 * caller; TTLs are milliseconds.
 *
 * Stream metadata (a hash):
 *   m  mode ('streaming' | 'polling')
 *   l  last assigned sequence, and whether the stream is completed (see `decode_last`)
 *   w  when the mode or completion was last written
 *   t  when an event was last written (updated when the TTLs restart, so up to a tenth of a TTL old)
 * The metadata was last written at the later of w and t: its absolute limit counts from there.
 *
 * Events: a Redis Stream whose entry ids are `<sequence>-<written at>`, with the stored event
 * JSON in field `e`, or field `lost` for a sequence whose event is known to be gone, or field
 * `skip` for a sequence that no acknowledged event ever had (see the append script). It is trimmed
 * from the oldest end only (`MAXLEN`), so the first retained sequence is the last one minus its
 * length, plus one.
 */

/**
 * The negative integers the write scripts answer instead of a sequence. Defined here once: the
 * scripts return them by these names (bound as `SESSION_DELETED`, ... in Lua) and the decoders
 * compare with them.
 */
export const ScriptReplyCode = {
  /** The stream's session was deleted (open, append, update). */
  sessionDeleted: -1,
  /** The session holds the most streams it may and this one is new (open). */
  sessionFull: -2,
  /**
   * The stream was completed: by this or another process's writer (append), or it is not to be
   * reopened (open).
   */
  streamCompleted: -3,
} as const;

const REPLY_CODE_BINDINGS = Object.entries(ScriptReplyCode)
  .map(([name, code]) => `local ${luaName(name).toUpperCase()} = ${code}`)
  .join('\n');

/** The reply codes, then the functions every script may use. */
export const LUA_PRELUDE = `${REPLY_CODE_BINDINGS}

-- A completed stream's l holds -(last sequence) - COMPLETED_OFFSET: the HINCRBY that takes an
-- append's sequences then answers the completion too, with no other command, and the value stays
-- negative with any count added. The offset is far above any sequence and below 2^53.
local COMPLETED_OFFSET = 1e15

-- The last sequence and the completion held by an l value (a number or its text).
local function decode_last(l)
  l = tonumber(l)
  if l < 0 then return -l - COMPLETED_OFFSET, true end
  return l, false
end

-- The l value of a stream with this last sequence, completed or not (as text: a large Lua number
-- would be formatted in exponent notation).
local function encode_last(last, completed)
  return string.format('%d', completed and -last - COMPLETED_OFFSET or last)
end

-- Extends the TTL of an existing key to ttl ms when that adds more than slack ms; never shortens it.
local function extend(key, ttl, slack)
  if ttl <= 0 then return end
  local remaining = redis.call('PTTL', key)
  if remaining >= 0 and ttl - remaining > slack then redis.call('PEXPIRE', key, ttl) end
end

-- The sequence and write time in a stream entry id.
local function parse_id(id)
  local dash = string.find(id, '-', 1, true)
  return tonumber(string.sub(id, 1, dash - 1)), tonumber(string.sub(id, dash + 1))
end

-- When the stream's metadata was last written (see the field list above); nil when unknown.
local function written_at(w, t)
  w, t = tonumber(w), tonumber(t)
  if w and t then return math.max(w, t) end
  return w or t
end

-- Writes metadata for a stream that has none: one opened for the first time, or one whose
-- metadata expired or was evicted while events may remain. It continues after every sequence that
-- may have been used, by the events still there or by the writer that knows known_last, so no id
-- is ever given twice. Returns the last sequence.
local function restore_metadata(metadata, events, mode, known_last, now)
  local last, newest_at = tonumber(known_last), nil
  if redis.call('EXISTS', events) == 1 then
    local info = redis.call('XINFO', 'STREAM', events)
    for i = 1, #info, 2 do
      local name, value = info[i], info[i + 1]
      if name == 'last-generated-id' then
        last = math.max(last, (parse_id(value)))
      elseif name == 'last-entry' and value then
        local _, entry_written_at = parse_id(value[1])
        newest_at = entry_written_at
      end
    end
  end
  redis.call('HSET', metadata, 'm', mode, 'l', last, 'w', now)
  if newest_at then redis.call('HSET', metadata, 't', newest_at) end
  return last
end
`;
