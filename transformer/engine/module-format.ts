import type { ModuleFormat } from './transform.js';

/**
 * How a module that a bundler or Babel hands over loads the runtime: with
 * `require` when it is CommonJS (a `.cjs` file, or JavaScript that uses
 * `require`/`module.exports` and no `import`/`export`), with `import`
 * otherwise; TypeScript is always written with `import`, whatever it compiles to.
 */
export function moduleFormatOf(fileName: string, code: string): ModuleFormat {
  if (/\.cjs$/.test(fileName)) return 'cjs';
  if (!/\.jsx?$/.test(fileName)) return 'esm';
  const esm = /^\s*(?:import\s*[\w{*'"]|export\s)/m.test(code);
  return !esm && /\brequire\s*\(|\bmodule\.exports\b/.test(code) ? 'cjs' : 'esm';
}
