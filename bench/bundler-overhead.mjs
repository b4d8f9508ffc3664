/**
 * Build-time overhead of the `@cachier` rewrite in a bundler: a generated
 * project of 300 TypeScript modules (one in three with a tagged function that
 * calls helpers of its own module and of the previous one, so dependency
 * hashing follows imports) built by Vite (Rolldown underneath) with and
 * without `cachier/vite`, alternating, and the ratio of the median times.
 *
 * Usage: npm run build && node bench/bundler-overhead.mjs [rounds]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import cachier from '../dist/transformer/vite.js';

const MODULES = 300;
const TAGGED_EVERY = 3;
const rounds = Number(process.argv[2] ?? 7);

const root = mkdtempSync(join(tmpdir(), 'cachier-bundler-bench-'));
mkdirSync(join(root, 'src'));
writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'bench-project', private: true, type: 'module' }));
for (let index = 0; index < MODULES; index++) {
  const previous = index === 0 ? '' : `import { helper${index - 1} } from './m${index - 1}.js';\n`;
  const uses = index === 0 ? '0' : `helper${index - 1}(n)`;
  const tagged =
    index % TAGGED_EVERY === 0
      ? `\n/** @cachier staleAfter=1h */\nexport function compute${index}(n: number): number {\n  return helper${index}(n) + ${uses};\n}\n`
      : `\nexport function compute${index}(n: number): number {\n  return helper${index}(n) + ${uses};\n}\n`;
  writeFileSync(
    join(root, 'src', `m${index}.ts`),
    `${previous}\nexport const FACTOR${index}: number = ${index + 1};\n\nexport function helper${index}(n: number): number {\n  return n * FACTOR${index};\n}\n${tagged}`,
  );
}
const imports = Array.from({ length: MODULES }, (_, index) => `import { compute${index} } from './m${index}.js';`).join('\n');
const calls = Array.from({ length: MODULES }, (_, index) => `compute${index}(2)`).join(' + ');
writeFileSync(join(root, 'src/main.ts'), `${imports}\n\nconsole.log(${calls});\n`);

/** One production build (SSR bundle, `cachier` left external), in milliseconds. */
async function timeBuild(plugins) {
  const started = performance.now();
  await build({
    root,
    configFile: false,
    logLevel: 'silent',
    plugins,
    build: { ssr: 'src/main.ts', outDir: join(root, 'dist'), emptyOutDir: true, minify: false, rolldownOptions: { external: ['cachier'] } },
  });
  return performance.now() - started;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
await timeBuild([]);
await timeBuild([cachier()]);
const without = [];
const withPlugin = [];
for (let round = 0; round < rounds; round++) {
  without.push(await timeBuild([]));
  withPlugin.push(await timeBuild([cachier()]));
}
rmSync(root, { recursive: true, force: true });

const plain = median(without);
const rewritten = median(withPlugin);
console.log(`Vite build of ${MODULES} modules (${Math.ceil(MODULES / TAGGED_EVERY)} with a tagged function), median of ${rounds} rounds each:`);
console.log(`  without cachier/vite: ${plain.toFixed(0)} ms`);
console.log(`  with cachier/vite:    ${rewritten.toFixed(0)} ms`);
console.log(`  ratio: ${(rewritten / plain).toFixed(2)}x`);
