/**
 * The plugin objects of the Rollup family. Rollup, Rolldown and Vite take one
 * plugin format (an object of hooks, with native hook filters in Rolldown,
 * Vite 6.3+ and Rollup 4.38+), so cachier hands them its hooks as they are,
 * without unplugin: loading unplugin costs a fresh process about 35 ms, a
 * seventh of a small project's Rolldown build.
 * @packageDocumentation
 */
import type { Plugin as VitePlugin } from 'vite';
import { browserBuildWarning, type TransformEnvironment } from './browser-build.js';
import { type BundlerHooks, bundlerHooks, fileOfId } from './plugin-hooks.js';

/** cachier's plugin for Rollup and Rolldown: the hooks every bundler gets. */
export function rollupStylePlugin(): BundlerHooks {
  return bundlerHooks().common;
}

/**
 * cachier's plugin for Vite (and Vitest): the hooks every bundler gets, with
 * Vite's dev-server and Vitest hooks, and a warning when a build bundles
 * tagged functions for the browser, where cachier cannot run.
 */
export function vitePlugin(): VitePlugin {
  const { common, vite } = bundlerHooks();
  // A plugin object serves every environment of a build (client and SSR in `vite build --app`), so the target is
  // read from the environment of each transform; one warning per environment's build, however many modules are tagged.
  const warned = new WeakSet<TransformEnvironment>();
  return {
    ...common,
    ...vite,
    transform: {
      filter: common.transform.filter,
      handler(code, id) {
        const rewritten = common.transform.handler.call(this, code, id);
        const warning = rewritten && !warned.has(this.environment) ? browserBuildWarning(this.environment, fileOfId(id)) : undefined;
        if (warning) {
          warned.add(this.environment);
          this.warn(warning);
        }
        return rewritten;
      },
    },
  };
}
