/** What a script argument is given as: numbers as their decimal text, booleans as `'1'` / `'0'`. */
export type ScriptArgument = string | number | boolean;

/** A script call as Redis takes it. */
export interface EncodedScriptCall {
  keys: string[];
  args: string[];
}

/**
 * The names of a script's `KEYS` and `ARGV`, in order: the one place their positions are written.
 * The encoder packs named values in that order, and the script's Lua reads them through locals
 * bound from the same list ({@link ScriptLayout.luaBindings}), so adding an argument is one edit
 * here, and the compiler then asks every caller for it.
 *
 * Names are camelCase here and snake_case in Lua (`indexTtl` is `index_ttl`); a key is bound with
 * a `_key` suffix (`metadata` is `metadata_key`).
 */
export class ScriptLayout<K extends string, A extends string> {
  constructor(
    readonly keys: readonly K[],
    readonly args: readonly A[],
  ) {}

  /**
   * The Lua locals for every key and argument, read from `KEYS` from index `keyBase` on and from
   * `ARGV` from `argBase` on (each an integer or a Lua expression).
   */
  luaBindings(keyBase: number | string = 1, argBase: number | string = 1): string {
    return [
      bind(
        this.keys.map((name) => `${luaName(name)}_key`),
        this.keys.map((_, index) => `KEYS[${indexFrom(keyBase, index)}]`),
      ),
      bind(
        this.args.map(luaName),
        this.args.map((_, index) => `ARGV[${indexFrom(argBase, index)}]`),
      ),
    ]
      .filter(Boolean)
      .join('\n');
  }

  /** Appends the named keys and arguments to `call`, in the layout's order. */
  encodeInto(call: EncodedScriptCall, keys: Record<K, string>, args: Record<A, ScriptArgument>): EncodedScriptCall {
    for (const name of this.keys) call.keys.push(keys[name]);
    for (const name of this.args) call.args.push(encodeArgument(args[name]));
    return call;
  }

  /** The call for the named keys and arguments. */
  encode(keys: Record<K, string>, args: Record<A, ScriptArgument>): EncodedScriptCall {
    return this.encodeInto({ keys: [], args: [] }, keys, args);
  }
}

function encodeArgument(value: ScriptArgument): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  return String(value);
}

/** `indexTtl` → `index_ttl`. */
export function luaName(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

function indexFrom(base: number | string, index: number): string {
  if (typeof base === 'number') return String(base + index);
  return index === 0 ? base : `${base} + ${index}`;
}

/** One `local` statement (Lua allows up to 200 locals per function; layouts stay far below). */
function bind(names: string[], values: string[]): string {
  return names.length === 0 ? '' : `local ${names.join(', ')} = ${values.join(', ')}`;
}

/** The named keys and arguments of a call to a script of layout `L`. */
export type LayoutInput<L> =
  L extends ScriptLayout<infer K, infer A> ? { keys: Record<K, string>; args: Record<A, ScriptArgument> } : never;
