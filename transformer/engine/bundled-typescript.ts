import { createRequire } from 'node:module';
import { join } from 'node:path';
import { MissingPeerError } from '../../runtime/errors.js';
import type { TypeScript } from './typescript-api.js';

let loaded: TypeScript | undefined;

/** How a user gets the parser; the alias, not `@typescript/typescript6`, which would link their `node_modules/.bin/tsc` to itself and silently downgrade their compiler. */
const INSTALL_PARSER = 'npm install --save-dev typescript-6@npm:typescript@6.0.3';

/** The compilers whose syntax trees give the same ids and source hashes as TypeScript 6's (the ones the `tspc` route is tested with). */
const SAME_TREES = /^(?:5\.9|6)\./;

/**
 * The parser the engine uses when its caller brings none (every route but
 * `tspc`, which hands the engine its own compiler): TypeScript 6, the last
 * JavaScript compiler (7.x, the Go compiler, exposes no parser to
 * JavaScript). It is not a dependency of this package, which would add 24 MB
 * to every install, runtime users' too. Found, in order:
 * - `typescript-6`, the alias {@link INSTALL_PARSER} installs;
 * - the project's own `typescript`, when it is 5.9 or 6.x;
 * otherwise a {@link MissingPeerError} says what to install.
 *
 * Loaded on first use (about 150 ms).
 */
export function bundledTypeScript(): TypeScript {
  loaded ??= loadParser();
  return loaded;
}

function loadParser(): TypeScript {
  const fromHere = createRequire(import.meta.url);
  const fromProject = createRequire(join(process.cwd(), 'package.json'));
  for (const require of [fromHere, fromProject]) {
    try {
      return require('typescript-6') as TypeScript;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  let found: string | undefined;
  try {
    const projectTypeScript = fromProject('typescript') as Partial<TypeScript> & { version?: string };
    found = projectTypeScript.version ?? 'a TypeScript without a version';
    if (SAME_TREES.test(found) && typeof projectTypeScript.createSourceFile === 'function') return projectTypeScript as TypeScript;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const why = found === undefined ? '' : `The project's typescript ${found} has no parser cachier can use (5.9 and 6.x do). `;
  throw new MissingPeerError(
    'typescript-6',
    'the @cachier tag rewrite (cachier-tsc, the bundler plugins, Babel, Jest, cachier/register)',
    `${why}Install TypeScript 6's parser beside your compiler: ${INSTALL_PARSER}`,
  );
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'MODULE_NOT_FOUND';
}
