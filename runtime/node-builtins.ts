import type * as Crypto from 'node:crypto';
import type * as V8 from 'node:v8';
import type * as Zlib from 'node:zlib';

/**
 * Node's built-in modules that cost a cold `import('cachier')` the most,
 * loaded on first use instead: `crypto` (about 6 ms, a fifth of the import),
 * `zlib` and `v8` (each loads Node's streams). Nothing needs them before a
 * function is wrapped or called, so an application that imports cachier on a
 * path it does not take pays none of it. `process.getBuiltinModule` (Node
 * 20.16 and later) loads them synchronously.
 */
let crypto: typeof Crypto | undefined;
let v8: typeof V8 | undefined;
let zlib: typeof Zlib | undefined;

/** `node:crypto`, loaded on first use. */
export function nodeCrypto(): typeof Crypto {
  crypto ??= process.getBuiltinModule('node:crypto');
  return crypto;
}

/** `node:zlib`, loaded on first use. */
export function nodeZlib(): typeof Zlib {
  zlib ??= process.getBuiltinModule('node:zlib');
  return zlib;
}

/** `node:v8` (its serializer), loaded on first use. */
export function nodeV8(): typeof V8 {
  v8 ??= process.getBuiltinModule('node:v8');
  return v8;
}
