import type * as Crypto from 'node:crypto';
import type * as V8 from 'node:v8';
import type * as Zlib from 'node:zlib';

/*
 * Node's built-in modules that cost a cold `import('cachier')` the most,
 * loaded on first use instead: `crypto` (about 6 ms, a fifth of the import),
 * `zlib` and `v8` (each loads Node's streams). Nothing needs them before a
 * function is wrapped or called, so an application that imports cachier on a
 * path it does not take pays none of it. `process.getBuiltinModule` (Node
 * 20.16 and later) loads them synchronously.
 */

/**
 * A getter that computes its value the first time it is asked for and keeps
 * it (undefined too): for work a cold import should not pay.
 */
export function onFirstUse<Value>(load: () => Value): () => Value {
  let loaded: { readonly value: Value } | undefined;
  return () => {
    loaded ??= { value: load() };
    return loaded.value;
  };
}

/** `node:crypto`, loaded on first use. */
export const nodeCrypto: () => typeof Crypto = onFirstUse(() => process.getBuiltinModule('node:crypto'));

/** `node:zlib`, loaded on first use. */
export const nodeZlib: () => typeof Zlib = onFirstUse(() => process.getBuiltinModule('node:zlib'));

/** `node:v8` (its serializer), loaded on first use. */
export const nodeV8: () => typeof V8 = onFirstUse(() => process.getBuiltinModule('node:v8'));
