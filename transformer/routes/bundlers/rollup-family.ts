/**
 * The plugin objects of the Rollup family. Rollup, Rolldown and Vite take one
 * plugin format (an object of hooks, with native hook filters in Rolldown,
 * Vite 6.3+ and Rollup 4.38+), so cachier hands them its hooks as they are,
 * without unplugin: loading unplugin costs a fresh process about 35 ms, a
 * seventh of a small project's Rolldown build.
 * @packageDocumentation
 */
import type { Plugin as VitePlugin } from 'vite';
import { type BundlerHooks, bundlerHooks } from './plugin-hooks.js';

/** cachier's plugin for Rollup and Rolldown: the hooks every bundler gets. */
export function rollupStylePlugin(): BundlerHooks {
  return bundlerHooks().common;
}

/** cachier's plugin for Vite (and Vitest): the hooks every bundler gets, with Vite's dev-server and Vitest hooks. */
export function vitePlugin(): VitePlugin {
  const { common, vite } = bundlerHooks();
  return { ...common, ...vite };
}
