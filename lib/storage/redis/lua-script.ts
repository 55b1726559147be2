import { createHash } from 'node:crypto';

/**
 * A Lua script run with `EVALSHA`. Its SHA1 is computed here, so nothing has to be loaded up
 * front: the first `EVALSHA` on a server that does not know the script fails with `NOSCRIPT`,
 * and the caller sends it once with `EVAL`, which also caches it on that server.
 */
export class LuaScript {
  readonly sha: string;

  constructor(
    /** What the script is for, in error messages and command counts. */
    readonly name: string,
    readonly source: string,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }
}
