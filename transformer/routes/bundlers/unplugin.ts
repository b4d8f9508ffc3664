/**
 * The bundler plugin of cachier for the bundlers `unplugin` serves beyond the
 * Rollup family and esbuild: webpack, Rspack, Rsbuild, Farm and Bun (Rollup,
 * Rolldown and Vite take plain plugin objects, see `rollup-family.ts`, and
 * esbuild a plugin of its own, `esbuild.ts`). Each
 * bundler has its own entry (`cachier/webpack`, `cachier/bun`, ...) that
 * exports the plugin as its default; the hooks are `plugin-hooks.ts`.
 * @packageDocumentation
 */
import { createUnplugin, type UnpluginInstance } from 'unplugin';
import { bundlerHooks } from './plugin-hooks.js';
import { requireToolVersion } from './tool-version.js';

/** The plugin for every bundler unplugin serves: `cachier.webpack()`, `cachier.bun()`, ... */
export const cachier: UnpluginInstance<undefined, false> = createUnplugin<undefined, false>(() => {
  const { common, vite } = bundlerHooks();
  return {
    ...common,
    vite,
    /** `compiler.webpack` is webpack 5's; webpack 4 has no hook filters nor the loader API unplugin uses. */
    webpack(compiler) {
      requireToolVersion('webpack', compiler.webpack?.version ?? '4', 5, 'cachier/webpack');
    },
  };
});
