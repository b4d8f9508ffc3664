import { createRequire } from 'node:module';
import type { TypeScript } from './typescript-api.js';

let loaded: TypeScript | undefined;

/**
 * The parser the engine uses when its caller brings none: TypeScript 6, the
 * last JavaScript compiler, brought by this package under the alias
 * `typescript-6`, so the rewrite works whatever TypeScript the user has (7.x,
 * the Go compiler, exposes no parser to JavaScript) or none. An alias, not
 * `@typescript/typescript6`: that package would link the user's
 * `node_modules/.bin/tsc` to itself and silently downgrade their compiler.
 *
 * Loaded on first use (about 150 ms): `tspc` hands the engine its own
 * TypeScript and never pays for this one.
 */
export function bundledTypeScript(): TypeScript {
  loaded ??= createRequire(import.meta.url)('typescript-6') as TypeScript;
  return loaded;
}
