import type { LuaScript } from '../lua-script';
import { APPEND_EVENTS } from './append-events.script';
import { DELETE_SESSION } from './delete-session.script';
import { OPEN_STREAM } from './open-stream.script';
import { PRUNE_INDEX } from './prune-index.script';
import { READ_STREAM } from './read-stream.script';
import { TOUCH_STREAM } from './touch-stream.script';
import { UPDATE_STREAM } from './update-stream.script';

/** Every script of the native layout. */
export const REDIS_STREAM_SCRIPTS: readonly LuaScript[] = [
  OPEN_STREAM,
  APPEND_EVENTS,
  UPDATE_STREAM,
  TOUCH_STREAM,
  PRUNE_INDEX,
  READ_STREAM,
  DELETE_SESSION,
].map((script) => script.lua);
