import { createRequire } from 'node:module';
import type { TypeScript } from './typescript-api.js';

/**
 * The parser the engine uses: TypeScript 6, the last JavaScript compiler,
 * brought by this package under the alias `typescript-6`, so the rewrite
 * works whatever TypeScript the user has (7.x, the Go compiler, exposes no
 * parser to JavaScript) or none. An alias, not `@typescript/typescript6`:
 * that package would link the user's `node_modules/.bin/tsc` to itself and
 * silently downgrade their compiler.
 */
export const bundledTypeScript: TypeScript = createRequire(import.meta.url)('typescript-6') as TypeScript;
