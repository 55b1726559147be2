import { LuaScript } from '../lua-script';
import type { RedisCommands } from '../redis-commands';
import { LUA_PRELUDE } from './lua-prelude';
import type { EncodedScriptCall } from './script-layout';

/**
 * A Lua script of the native layout with its call layout: how a named input becomes its `KEYS`
 * and `ARGV`, and how its reply becomes a named, typed result.
 */
export interface RedisScript<Input, Result> {
  readonly lua: LuaScript;
  encode(input: Input): EncodedScriptCall;
  /** Throws for a reply the script cannot give (a client or server that answered something else). */
  decode(reply: unknown): Result;
}

/** A script named `name` whose source is the shared prelude followed by `body`. */
export function luaScript(name: string, body: string): LuaScript {
  return new LuaScript(name, `${LUA_PRELUDE}\n${body}`);
}

/** Sends the script with the encoded input; resolves with the decoded reply. */
export async function runRedisScript<Input, Result>(
  commands: RedisCommands,
  script: RedisScript<Input, Result>,
  input: Input,
): Promise<Result> {
  const { keys, args } = script.encode(input);
  return script.decode(await commands.runScript(script.lua, keys, args));
}

/** The error for a reply the script cannot give. */
export function unexpectedReply(script: LuaScript): Error {
  return new Error(`Unexpected reply to the ${script.name} script.`);
}

/** The reply as an integer, or the unexpected-reply error. */
export function integerReply(script: LuaScript, reply: unknown): number {
  if (typeof reply !== 'number' || !Number.isInteger(reply)) throw unexpectedReply(script);
  return reply;
}
