import { WAKEUP_SEPARATOR_LUA, WAKEUP_TIME_MARK_LUA } from '../../../encoding/wakeup-message';
import { luaScript, type RedisScript, unexpectedReply } from './redis-script';
import { ScriptReplyCode } from './lua-prelude';
import { type LayoutInput, ScriptLayout } from './script-layout';

/** The ARGV every append call starts with. */
export const APPEND_CALL_LAYOUT = new ScriptLayout(
  [],
  [
    'now',
    'eventTtl',
    'metadataTtl',
    // The retention cap: a stream keeps its newest this many events.
    'maxEvents',
    // The wake-up message ('' publishes none).
    'message',
  ],
);

/**
 * The KEYS and ARGV of each stream in an append call, in the call's order; each stream's ARGV is
 * followed by its `count` events. Every argument costs Redis a parse, an object and a Lua string
 * (hashed in full), per stream and write, so what the script reads only now and then shares one.
 */
export const APPEND_STREAM_LAYOUT = new ScriptLayout(
  ['tombstone', 'metadata', 'events'],
  [
    'count',
    // The last sequence its writer was or may have been given.
    'knownLast',
    // The stream's wake-up channel.
    'channel',
    // The rest of the writer's state, packed by `encodeWriterState`.
    'writerState',
  ],
);

type StreamInput = LayoutInput<typeof APPEND_STREAM_LAYOUT>;

/** One stream's part of an append call. */
export interface AppendStreamInput {
  keys: StreamInput['keys'];
  args: {
    /** Restart the TTLs of the stream's keys. */
    restartTtls: boolean;
    /** The stream's wake-up channel. */
    channel: string;
    /** The writer's mode, for metadata that has to be restored. */
    mode: string;
    /** The last sequence its writer was or may have been given. */
    knownLast: number;
    /** Publish the events with the wake-up. */
    pushEvents: boolean;
    /** The last sequence its writer was given and acknowledged. */
    acknowledgedLast: number;
  };
  /** The stored event JSON, in order. */
  events: readonly string[];
}

/**
 * `<restartTtls><pushEvents><acknowledgedLast>:<mode>`, the flags as `1` or `0`: the script tests
 * the flags by their byte on every append, and parses the rest only when it needs them (a stream
 * behind its writer, metadata to restore).
 */
function encodeWriterState({ restartTtls, pushEvents, acknowledgedLast, mode }: AppendStreamInput['args']): string {
  return `${restartTtls ? 1 : 0}${pushEvents ? 1 : 0}${acknowledgedLast}:${mode}`;
}

/** The byte of a flag that is set in the writer state. */
const FLAG_SET_BYTE = '1'.charCodeAt(0);

/** What the append script is called with. */
export interface AppendEventsInput {
  args: LayoutInput<typeof APPEND_CALL_LAYOUT>['args'];
  streams: readonly AppendStreamInput[];
}

/** What the append script answers for one stream. */
export type AppendOutcome =
  | { status: 'appended'; firstSequence: number }
  | { status: 'session-deleted' }
  | { status: 'stream-completed' }
  /** The stream's append failed inside Redis (a key of the wrong type, say); the others in the call are unaffected. */
  | { status: 'failed'; message: string };

const KEYS_PER_STREAM = APPEND_STREAM_LAYOUT.keys.length;
/** A stream's events follow its arguments. */
const EVENTS_AFTER = APPEND_STREAM_LAYOUT.args.length;

const lua = luaScript(
  'append',
  `${APPEND_CALL_LAYOUT.luaBindings()}
local max_events_count = tonumber(max_events)
-- Stamped with the writer's clock when it sent the call, for the readers' delivery lag.
local wakeup_head = message .. ${WAKEUP_TIME_MARK_LUA} .. now

local function append(tombstone, metadata, events, count, count_text, known_last, channel, writer_state, offset)
  -- The sequence is taken first: should anything below fail, no later append reuses it.
  -- The count as given (a string): a Lua number would be formatted back into one on each call.
  local last = redis.call('HINCRBY', metadata, 'l', count_text)
  if last < 0 then
    -- Completed (see decode_last): the sequences are given back, so the value still decodes.
    redis.call('HINCRBY', metadata, 'l', -count)
    return STREAM_COMPLETED
  end
  local restart_ttls = string.byte(writer_state, 1) == ${FLAG_SET_BYTE}
  if last == count and redis.call('HEXISTS', metadata, 'm') == 0 then
    -- HINCRBY found no metadata and made a stub: the session was deleted (its keys go after its
    -- tombstone is set), or the metadata expired or was evicted while the writer was open.
    redis.call('DEL', metadata)
    if redis.call('EXISTS', tombstone) == 1 then return SESSION_DELETED end
    -- Restored from the events still there; the sequences this writer was given beyond them are
    -- marked below, lost or skipped, like any it knows of that Redis lacks.
    local mode = string.match(writer_state, ':(.*)$')
    last = restore_metadata(metadata, events, mode, 0, now) + count
    redis.call('HSET', metadata, 'l', last)
    restart_ttls = true
  end
  -- Arithmetic converts the text with one strtod, tonumber with two.
  known_last = known_last + 0
  if last - count < known_last then
    -- The sequence is behind what this writer was (or may have been) given. Continue after it, so
    -- no id is given twice. Acknowledged appends that are gone (a failover to a replica that had
    -- not received them) are marked lost, so readers that reach them are told. The sequences of
    -- appends that were never acknowledged (their answer did not come) are marked skipped:
    -- readers pass over them, as no acknowledged event was ever there.
    local acked_last = tonumber(string.match(writer_state, '^..(%d+):'))
    for sequence = math.max(last - count + 1, known_last - max_events + 1), known_last do
      local mark = sequence <= acked_last and 'lost' or 'skip'
      redis.call('XADD', events, 'MAXLEN', max_events, string.format('%d-%s', sequence, now), mark, '1')
    end
    last = known_last + count
    redis.call('HSET', metadata, 'l', last)
    restart_ttls = true
  end
  local first = last - count + 1
  local first_text = string.format('%d', first)
  -- Every entry has a sequence of its own, so a stream holds no more entries than its last
  -- sequence: until that passes the cap there is nothing to trim, and XADD is asked for none.
  local trim = last > max_events_count
  local event
  for i = 0, count - 1 do
    event = ARGV[offset + i]
    local id = (i == 0 and first_text or string.format('%d', first + i)) .. '-' .. now
    local added
    if trim then
      added = redis.call('XADD', events, 'NOMKSTREAM', 'MAXLEN', max_events, id, 'e', event)
    else
      added = redis.call('XADD', events, 'NOMKSTREAM', id, 'e', event)
    end
    if not added then
      -- The events key is gone (expired or evicted): XADD makes a new one, without a TTL yet.
      -- The events before are marked lost first: a reader from the start is told, instead of
      -- silently starting here.
      if first + i > 1 then redis.call('XADD', events, 'MAXLEN', max_events, string.format('%d-%s', first + i - 1, now), 'lost', '1') end
      redis.call('XADD', events, 'MAXLEN', max_events, id, 'e', event)
      restart_ttls = true
    end
  end
  if restart_ttls then
    redis.call('HSET', metadata, 't', now)
    redis.call('PEXPIRE', events, event_ttl)
    redis.call('PEXPIRE', metadata, metadata_ttl)
  end
  if message ~= '' then
    if string.byte(writer_state, 2) ~= ${FLAG_SET_BYTE} then
      redis.call('PUBLISH', channel, wakeup_head)
    else
      -- Built by one concatenation: Lua hashes every string it makes, all of its bytes, and an
      -- event that travels alone (the last one added) is the argument itself rather than a joined
      -- copy of it.
      local events_text = count == 1 and event or table.concat(ARGV, ${WAKEUP_SEPARATOR_LUA}, offset, offset + count - 1)
      redis.call('PUBLISH', channel, wakeup_head .. ${WAKEUP_SEPARATOR_LUA} .. first_text .. ${WAKEUP_SEPARATOR_LUA} .. events_text)
    end
  end
  return first
end

-- Where the current stream's KEYS and ARGV start.
local results, stream_keys, stream_args = {}, 1, ${APPEND_CALL_LAYOUT.args.length + 1}
for stream = 1, #KEYS / ${KEYS_PER_STREAM} do
  ${APPEND_STREAM_LAYOUT.luaBindings('stream_keys', 'stream_args').replace(/\n/g, '\n  ')}
  local event_count = count + 0
  local ok, result = pcall(append, tombstone_key, metadata_key, events_key, event_count, count, known_last, channel, writer_state,
    stream_args + ${EVENTS_AFTER})
  if ok then
    results[stream] = result
  else
    -- One stream's failure (a key of the wrong type, say) must not fail the others in the call.
    results[stream] = type(result) == 'table' and result.err or tostring(result)
  end
  stream_keys = stream_keys + ${KEYS_PER_STREAM}
  stream_args = stream_args + ${EVENTS_AFTER} + event_count
end
return results
`,
);

/**
 * Appends events to one or more streams (of any sessions on a single server; of one hash slot on
 * a cluster). For each stream, all or nothing: the events get its next sequences, the retention
 * cap trims the oldest, the wake-up is published, and the TTLs restart when the writer asks.
 * Commands per stream are what a write costs Redis, so it keeps to three in the usual case
 * (HINCRBY, XADD, PUBLISH): the completion is told by what HINCRBY answers (see `decode_last`),
 * the TTLs restart only when the writer asks (a tenth of the shorter TTL after it last did), and
 * the rarer cases (a missing key, a deleted session) are detected from what those commands
 * answer. Arguments and Lua strings cost Redis nearly as much as the commands (see
 * {@link APPEND_STREAM_LAYOUT}), so there are few of them.
 *
 * The session tombstone is looked at only when the metadata is missing: deleting a session sets
 * the tombstone and then removes the keys, so an append that lands in between is removed with
 * them, and any later one finds no metadata and then the tombstone.
 *
 * The wake-up is the message given and the call's `now` (the writer's clock), followed by the first
 * sequence and the events, one per line, when the writer asks for them to travel with it: the
 * format of `encoding/wakeup-message.ts`, whose separators are interpolated into the script.
 *
 * Answers per stream, in order: its first new sequence, or why it was refused (a completion is
 * final for the writers that were open then, in every process).
 */
export const APPEND_EVENTS: RedisScript<AppendEventsInput, AppendOutcome[]> = {
  lua,
  encode({ args, streams }) {
    const call = APPEND_CALL_LAYOUT.encode({}, args);
    for (const stream of streams) {
      const { knownLast, channel } = stream.args;
      APPEND_STREAM_LAYOUT.encodeInto(call, stream.keys, {
        count: stream.events.length,
        knownLast,
        channel,
        writerState: encodeWriterState(stream.args),
      });
      for (const event of stream.events) call.args.push(event);
    }
    return call;
  },
  decode(reply) {
    if (!Array.isArray(reply)) throw unexpectedReply(lua);
    return reply.map((outcome): AppendOutcome => {
      if (typeof outcome !== 'number') return { status: 'failed', message: String(outcome) };
      if (outcome === ScriptReplyCode.sessionDeleted) return { status: 'session-deleted' };
      if (outcome === ScriptReplyCode.streamCompleted) return { status: 'stream-completed' };
      return { status: 'appended', firstSequence: outcome };
    });
  },
};
