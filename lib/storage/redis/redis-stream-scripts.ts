import { WAKEUP_SEPARATOR_LUA } from '../../encoding/wakeup-message';
import { LuaScript } from './lua-script';

/*
 * The Lua scripts of the native Redis layout (see `RedisStreamKeys`). Each runs atomically, so a
 * sequence is assigned, stored and published in one step that no other writer or reader can
 * interleave with. Times are milliseconds since the epoch, passed in by the caller; TTLs are
 * milliseconds.
 *
 * Stream metadata (a hash):
 *   m  mode ('streaming' | 'polling')   c  completed ('1' | '0')   l  last assigned sequence
 *   w  when the mode or completion was last written
 *   t  when an event was last written (updated when the TTLs restart, so up to a tenth of a TTL old)
 * The metadata was last written at the later of w and t: its absolute limit counts from there.
 *
 * Events: a Redis Stream whose entry ids are `<sequence>-<written at>`, with the stored event
 * JSON in field `e`, or field `lost` for a sequence whose event is known to be gone, or field
 * `skip` for a sequence that no acknowledged event ever had (see the append script). It is trimmed from the oldest end only (`MAXLEN`), so the first retained
 * sequence is the last one minus its length, plus one.
 *
 * Commands per stream are what a write costs Redis, so the append script keeps to three in the
 * usual case (HINCRBY, XADD, PUBLISH): the TTLs restart only when the writer asks (a tenth of the
 * shorter TTL after it last did), and the rarer cases (a missing key, a deleted session) are
 * detected from what those commands answer.
 */

/** What the open, append and update scripts answer for a stream whose session was deleted. */
export const SESSION_DELETED = -1;
/** What the open script answers for a new stream of a session that holds the most streams it may. */
export const SESSION_FULL = -2;
/**
 * What the append script answers for a stream that was completed (by this or another process's
 * writer), and the open script when asked not to reopen a completed stream.
 */
export const STREAM_COMPLETED = -3;

/** Functions every script may use; prepended to each. */
const HELPERS = `
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
  redis.call('HSET', metadata, 'm', mode, 'c', '0', 'l', last, 'w', now)
  if newest_at then redis.call('HSET', metadata, 't', newest_at) end
  return last
end
`;

function script(name: string, body: string): LuaScript {
  return new LuaScript(name, HELPERS + body);
}

/**
 * Registers a stream in its session and (re)opens it for a writer: mode set, not completed. A
 * stream the session does not hold yet is refused when the session holds the most it may.
 *
 * KEYS: tombstone, index, metadata, events.
 * ARGV: index member, mode, now, index TTL, metadata TTL, most streams per session, '1' to reopen
 *       a completed stream ('0' refuses it).
 * Returns the stream's last sequence, -1 when the session was deleted, -2 when it is full, or -3
 * for a completed stream that is not to be reopened.
 */
export const OPEN_STREAM = script(
  'open',
  `
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
if ARGV[7] == '0' and redis.call('HGET', KEYS[3], 'c') == '1' then return -3 end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 and redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[6]) then return -2 end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
local last = redis.call('HGET', KEYS[3], 'l')
if last then
  redis.call('HSET', KEYS[3], 'm', ARGV[2], 'c', '0', 'w', ARGV[3])
else
  last = restore_metadata(KEYS[3], KEYS[4], ARGV[2], 0, ARGV[3])
end
redis.call('PEXPIRE', KEYS[3], ARGV[5])
return tonumber(last)
`,
);

/**
 * Appends events to one or more streams (of any sessions on a single server; of one hash slot on
 * a cluster). For each stream, all or nothing: the events get its next sequences, the retention
 * cap trims the oldest, the wake-up is published, and the TTLs restart when the writer asks.
 *
 * The session tombstone is looked at only when the metadata is missing: deleting a session sets
 * the tombstone and then removes the keys, so an append that lands in between is removed with
 * them, and any later one finds no metadata and then the tombstone.
 *
 * The wake-up is the message given, followed by the first sequence and the events, one per line,
 * when the writer asks for them to travel with it: the format of `encoding/wakeup-message.ts`,
 * whose separator is interpolated into the script below.
 *
 * KEYS: per stream: tombstone, metadata, events.
 * ARGV: now, event TTL, metadata TTL, retention cap, wake-up message ('' for none), then per
 *       stream: event count, '1' to restart the TTLs, wake-up channel, mode, last sequence its
 *       writer was or may have been given, '1' to publish the events with the wake-up, last
 *       sequence its writer was given and acknowledged, the events.
 * Returns per stream its first new sequence, -1 when its session was deleted, -3 when the stream
 * was completed (a completion is final for the writers that were open then, in every process), or
 * an error message.
 */
export const APPEND_EVENTS = script(
  'append',
  `
local now, event_ttl, metadata_ttl, cap, message = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]

local function append(tombstone, metadata, events, count, restart_ttls, channel, mode, known_last, push, acked_last, offset)
  if redis.call('HGET', metadata, 'c') == '1' then return -3 end
  -- The sequence is taken first: should anything below fail, no later append reuses it.
  local last = redis.call('HINCRBY', metadata, 'l', count)
  if last == count and redis.call('HEXISTS', metadata, 'm') == 0 then
    -- HINCRBY found no metadata and made a stub: the session was deleted (its keys go after its
    -- tombstone is set), or the metadata expired or was evicted while the writer was open.
    redis.call('DEL', metadata)
    if redis.call('EXISTS', tombstone) == 1 then return -1 end
    -- Restored from the events still there; the sequences this writer was given beyond them are
    -- marked below, lost or skipped, like any it knows of that Redis lacks.
    last = restore_metadata(metadata, events, mode, 0, now) + count
    redis.call('HSET', metadata, 'l', last)
    restart_ttls = true
  end
  known_last, acked_last = tonumber(known_last), tonumber(acked_last)
  if last - count < known_last then
    -- The sequence is behind what this writer was (or may have been) given. Continue after it, so
    -- no id is given twice. Acknowledged appends that are gone (a failover to a replica that had
    -- not received them) are marked lost, so readers that reach them are told. The sequences of
    -- appends that were never acknowledged (their answer did not come) are marked skipped:
    -- readers pass over them, as no acknowledged event was ever there.
    for sequence = math.max(last - count + 1, known_last - cap + 1), known_last do
      local mark = sequence <= acked_last and 'lost' or 'skip'
      redis.call('XADD', events, 'MAXLEN', cap, string.format('%d-%s', sequence, now), mark, '1')
    end
    last = known_last + count
    redis.call('HSET', metadata, 'l', last)
    restart_ttls = true
  end
  local first = last - count + 1
  for i = 0, count - 1 do
    local id = string.format('%d-%s', first + i, now)
    if not redis.call('XADD', events, 'NOMKSTREAM', 'MAXLEN', cap, id, 'e', ARGV[offset + i]) then
      -- The events key is gone (expired or evicted): XADD makes a new one, without a TTL yet.
      -- The events before are marked lost first: a reader from the start is told, instead of
      -- silently starting here.
      if first + i > 1 then redis.call('XADD', events, 'MAXLEN', cap, string.format('%d-%s', first + i - 1, now), 'lost', '1') end
      redis.call('XADD', events, 'MAXLEN', cap, id, 'e', ARGV[offset + i])
      restart_ttls = true
    end
  end
  if restart_ttls then
    redis.call('HSET', metadata, 't', now)
    redis.call('PEXPIRE', events, event_ttl)
    redis.call('PEXPIRE', metadata, metadata_ttl)
  end
  if push then
    redis.call('PUBLISH', channel, message .. ${WAKEUP_SEPARATOR_LUA} .. string.format('%d', first) .. ${WAKEUP_SEPARATOR_LUA} .. table.concat(ARGV, ${WAKEUP_SEPARATOR_LUA}, offset, offset + count - 1))
  elseif message ~= '' then
    redis.call('PUBLISH', channel, message)
  end
  return first
end

local results, offset = {}, 6
for stream = 1, #KEYS / 3 do
  local count = tonumber(ARGV[offset])
  local ok, result = pcall(append, KEYS[stream * 3 - 2], KEYS[stream * 3 - 1], KEYS[stream * 3], count,
    ARGV[offset + 1] == '1', ARGV[offset + 2], ARGV[offset + 3], ARGV[offset + 4], message ~= '' and ARGV[offset + 5] == '1',
    ARGV[offset + 6], offset + 7)
  if ok then
    results[stream] = result
  else
    -- One stream's failure (a key of the wrong type, say) must not fail the others in the call.
    results[stream] = type(result) == 'table' and result.err or tostring(result)
  end
  offset = offset + 7 + count
end
return results
`,
);

/**
 * Stores a mode change or completion and publishes the wake-up.
 *
 * KEYS: tombstone, metadata, events.
 * ARGV: now, metadata TTL, mode, completed ('1', '0' or '' to leave it), last sequence the writer
 *       knows, wake-up channel, wake-up message ('' for none).
 * Returns 0, or -1 when the session was deleted.
 */
export const UPDATE_STREAM = script(
  'update',
  `
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
if not redis.call('HGET', KEYS[2], 'l') then restore_metadata(KEYS[2], KEYS[3], ARGV[3], ARGV[5], ARGV[1]) end
redis.call('HSET', KEYS[2], 'm', ARGV[3], 'w', ARGV[1])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[2], 'c', ARGV[4]) end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
if ARGV[7] ~= '' then redis.call('PUBLISH', ARGV[6], ARGV[7]) end
return 0
`,
);

/**
 * Keeps an open writer's metadata alive while it writes nothing: extends its sliding TTL, never
 * past the absolute limit counted from its last write.
 *
 * KEYS: metadata.
 * ARGV: now, metadata sliding expiration, metadata absolute expiration.
 */
export const TOUCH_STREAM = script(
  'touch',
  `
local state = redis.call('HMGET', KEYS[1], 'w', 't')
local written = written_at(state[1], state[2])
if written then
  extend(KEYS[1], math.min(tonumber(ARGV[2]), written + tonumber(ARGV[3]) - tonumber(ARGV[1])), 0)
end
return 0
`,
);

/**
 * Drops from a session's index the streams whose metadata is gone (expired or evicted): they no
 * longer count against the session's limit.
 *
 * KEYS: index, then the metadata key of each member listed in ARGV.
 * ARGV: index members.
 * Returns how many streams the index holds afterwards.
 */
export const PRUNE_INDEX = script(
  'prune',
  `
for i = 1, #ARGV do
  if redis.call('EXISTS', KEYS[i + 1]) == 0 then redis.call('SREM', KEYS[1], ARGV[i]) end
end
return redis.call('SCARD', KEYS[1])
`,
);

/**
 * Reads a stream's state, and slides the expiry of its keys (by more than a tenth of the window,
 * so steady reading does not rewrite them on every call; never past the absolute limits). The
 * events themselves are read with an `XRANGE` sent right behind it, in the same round trip:
 * returned through Lua, every entry would be copied twice more.
 *
 * KEYS: tombstone, metadata, events.
 * ARGV: now, event sliding and absolute expiration, metadata sliding and absolute expiration.
 * Returns {'deleted'}, {'missing'} or {'found', mode, completed, first retained, last}.
 */
export const READ_STREAM = script(
  'read',
  `
if redis.call('EXISTS', KEYS[1]) == 1 then return {'deleted'} end
local state = redis.call('HMGET', KEYS[2], 'm', 'c', 'l', 'w', 't')
if not state[1] then return {'missing'} end
local now = tonumber(ARGV[1])
local last = tonumber(state[3]) or 0
local length = redis.call('XLEN', KEYS[3])
local first = last - length + 1
-- The retention cap never empties a stream: no events at all means they expired or were evicted,
-- the last one too. A client that has it missed nothing; any other is told its history is gone.
if length == 0 and last > 0 then first = last end
local event_sliding, metadata_sliding = tonumber(ARGV[2]), tonumber(ARGV[4])
local metadata_written_at = written_at(state[4], state[5]) or now
extend(KEYS[2], math.min(metadata_sliding, metadata_written_at + tonumber(ARGV[5]) - now), metadata_sliding / 10)
if state[5] then
  extend(KEYS[3], math.min(event_sliding, tonumber(state[5]) + tonumber(ARGV[3]) - now), event_sliding / 10)
end
return {'found', state[1], state[2], first, last}
`,
);

/**
 * Marks a session deleted and lists its streams, in one step: a stream opened concurrently, in
 * any process, is either listed here or refused by the tombstone.
 *
 * KEYS: tombstone, index.
 * ARGV: tombstone TTL.
 * Returns the index members.
 */
export const DELETE_SESSION = script(
  'delete',
  `
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
return redis.call('SMEMBERS', KEYS[2])
`,
);
