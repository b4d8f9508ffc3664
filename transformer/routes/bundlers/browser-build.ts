/**
 * The warning of a Vite build that bundles `@cachier`-tagged functions for the
 * browser. There (a client build, or a `build.lib` library without
 * `build.ssr`) Vite resolves the `browser` export condition of cachier's
 * package, a module that throws when it loads, since cachier caches in files
 * and databases: without the warning the build succeeds in silence and the
 * bundle fails when it runs.
 * @packageDocumentation
 */
import { relative } from 'node:path';

/** What the warning reads of the Vite environment a module is transformed in (the environment API of Vite 6 and later). */
export interface TransformEnvironment {
  /** `build`, or `dev` in the dev server and Vitest. */
  readonly mode: string;
  readonly config: {
    readonly root: string;
    /** `client` where the code runs in a browser; `server` for SSR (`build.ssr`). */
    readonly consumer: 'client' | 'server';
    readonly build: { readonly lib: unknown };
  };
}

/**
 * The warning for the tagged module `file`, rewritten in `environment`, or
 * `undefined` where the module runs in Node. Builds only: in the dev server a
 * page that imports a tagged module fails at once, in front of its developer,
 * with the browser build's message.
 */
export function browserBuildWarning(environment: TransformEnvironment, file: string): string | undefined {
  const { mode, config } = environment;
  if (mode !== 'build' || config.consumer !== 'client') return undefined;
  const target = config.build.lib ? 'a library for the browser (build.lib without build.ssr)' : 'the browser';
  return (
    `${relative(config.root, file)} has @cachier tags, but this build bundles it for ${target}: there Vite picks cachier's browser build, ` +
    'which throws when it loads (cachier runs in Node.js only). For a Node library or server code, build for SSR ' +
    '(build.ssr: true beside build.lib, or vite build --ssr <entry>); in code for the browser, do not tag functions'
  );
}
