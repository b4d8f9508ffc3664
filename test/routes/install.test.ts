import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { NODE, RouteProject } from '../support/routes/route-project.js';

// Issue 23: `npm install cachier` is light, installs beside any version of the optional tools, and an
// application that uses cachier bundles without marking the drivers it does not use external.

/** Bytes of the files under `dir`, as `du` would count them without block rounding. */
function bytesUnder(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((total, entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return total + bytesUnder(path);
    return entry.isFile() ? total + statSync(path).size : total;
  }, 0);
}

/** Every `node_modules/<name>` (and `node_modules/<scope>/<name>`) folder under `dir`, at any depth. */
function packagesUnder(dir: string): string[] {
  const modules = join(dir, 'node_modules');
  if (!existsSync(modules)) return [];
  return readdirSync(modules).flatMap((name) => {
    if (name.startsWith('.')) return [];
    const names = name.startsWith('@') ? readdirSync(join(modules, name)).map((inner) => `${name}/${inner}`) : [name];
    return names.flatMap((packageName) => [packageName, ...packagesUnder(join(modules, packageName))]);
  });
}

const RUNTIME_CALL = `const double = cachier((x) => x * 2, { backend: 'memory' });
console.log(double(21), double(21));`;

describe('npm install cachier, for the runtime API only', () => {
  const project = new RouteProject('install-runtime');
  beforeAll(async () => {
    await project.install(inject('cachierTarball'), { 'oxc-parser': null }, { type: 'module' });
  }, 300_000);
  afterAll(() => project.remove());

  test('node_modules is at most 8 MB and holds no TypeScript compiler', () => {
    const megabytes = bytesUnder(join(project.dir, 'node_modules')) / 1024 / 1024;
    expect(megabytes).toBeLessThanOrEqual(8);
    expect(packagesUnder(project.dir).filter((name) => name === 'typescript' || name === 'typescript-6')).toEqual([]);
  });

  test('require("cachier") and import("cachier") both work', async () => {
    project.write('required.cjs', `const { cachier } = require('cachier');\n${RUNTIME_CALL}`);
    project.write('imported.mjs', `const { cachier } = await import('cachier');\n${RUNTIME_CALL}`);
    for (const file of ['required.cjs', 'imported.mjs']) {
      const run = await project.node([file]);
      expect(run.output).toBe('42 42\n');
    }
  });

  test('the s3 backend without @aws-sdk/client-s3 says what to install', async () => {
    project.write(
      's3.mjs',
      `import { cachier } from 'cachier';
const double = cachier(async (x) => x * 2, { backend: 's3', s3: { client: { send: async () => ({}) }, bucket: 'b' }, strict: true });
await double(2).catch((error) => console.log(error.name, error.message));`,
    );
    const run = await project.node(['s3.mjs']);
    expect(run.stdout).toBe(
      'MissingPeerError cachier: the s3 backend needs the package @aws-sdk/client-s3, which is not installed. Install it: npm install @aws-sdk/client-s3\n',
    );
  });

  test('a route without the native parser says how to install it', async () => {
    project.write(
      'src/tagged.ts',
      `/** @cachier */\nexport function double(x: number): number {\n  return x * 2;\n}\nconsole.log(double(21));\n`,
    );
    const run = await project.node(['--import', 'cachier/register', 'src/tagged.ts'], NODE[22]);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('needs the package oxc-parser, which is not installed');
    expect(run.output).toContain('npm install --save-dev oxc-parser');
  });
});

describe('npm install cachier beside older versions of its optional tools (no ERESOLVE)', () => {
  test('typescript 4.9: installs; the rewrite does not depend on the project compiler', async () => {
    const project = new RouteProject('install-ts49');
    try {
      await project.install(inject('cachierTarball'), { typescript: '4.9.5' }, { type: 'module' });
      project.write(
        'src/tagged.ts',
        `/** @cachier */\nexport function double(x: number): number {\n  return x * 2;\n}\nconsole.log(double(21), typeof double.clearCache);\n`,
      );
      const run = await project.node(['--import', 'cachier/register', 'src/tagged.ts'], NODE[22]);
      expect(run.output).toBe('42 function\n');
    } finally {
      project.remove();
    }
  }, 300_000);

  test('vite 5: installs; cachier/vite says it needs Vite 6', async () => {
    const project = new RouteProject('install-vite5');
    try {
      await project.install(inject('cachierTarball'), { vite: '5.4.21' }, { type: 'module' });
      project.write(
        'vite.config.js',
        `import cachier from 'cachier/vite';\nexport default { plugins: [cachier()], build: { lib: { entry: 'main.js', formats: ['es'] } } };\n`,
      );
      project.write('main.js', 'export const answer = 42;\n');
      const build = await project.run('vite', ['build']);
      expect(build.code).not.toBe(0);
      expect(build.output).toMatch(/cachier: the plugin cachier\/vite needs vite 6 or later, but 5\.4\.21 is installed\. Upgrade it/);
    } finally {
      project.remove();
    }
  }, 300_000);

  test('ioredis 4: installs, and the runtime API works', async () => {
    const project = new RouteProject('install-ioredis4');
    try {
      await project.install(inject('cachierTarball'), { 'oxc-parser': null, ioredis: '4.28.5' }, { type: 'module' });
      project.write('main.js', `import { cachier } from 'cachier';\n${RUNTIME_CALL}`);
      const run = await project.node(['main.js']);
      expect(run.output).toBe('42 42\n');
    } finally {
      project.remove();
    }
  }, 300_000);
});

describe('bundling an application that uses cachier, with none of the optional drivers installed', () => {
  const project = new RouteProject('install-bundle');
  beforeAll(async () => {
    await project.install(
      inject('cachierTarball'),
      { 'oxc-parser': null, esbuild: '0.25.12', webpack: '5.113.0', 'webpack-cli': '6.0.1' },
      { type: 'module' },
    );
    project.write(
      'app.js',
      `import { cachier } from 'cachier';\nconst double = cachier(async (x) => x * 2, { backend: 'memory' });\nconsole.log(await double(21));\n`,
    );
  }, 300_000);
  afterAll(() => project.remove());
  /** Runs esbuild with `args`: the build succeeds and prints nothing. */
  const bundleQuietly = async (args: readonly string[]): Promise<void> => {
    const build = await project.run('esbuild', args);
    expect(build.output).toBe('');
    expect(build.code).toBe(0);
  };

  test('esbuild bundles it for Node without warnings or externals, and the bundle runs', async () => {
    await bundleQuietly(['app.js', '--bundle', '--platform=node', '--format=esm', '--outfile=out/app.js', '--log-level=warning']);
    const run = await project.node(['out/app.js']);
    expect(run.output).toBe('42\n');
  });

  test("esbuild's CommonJS bundle (its default format for Node, where import.meta is empty) runs, the identity derived from the caller", async () => {
    project.write(
      'app-commonjs.js',
      `import { cachier, cacheOf } from 'cachier';\nconst double = cachier(async (x) => x * 2, { backend: 'memory' });\ndouble(21).then(async (value) => console.log(value, (await cacheOf(double).cacheInfo()).id));\n`,
    );
    await bundleQuietly(['app-commonjs.js', '--bundle', '--platform=node', '--outfile=out/app.cjs', '--log-level=error']);
    const run = await project.node(['out/app.cjs']);
    expect(run.output).toBe('42 route-fixture:out/app.cjs#anonymous\n');
  });

  test('webpack bundles it for Node without warnings or externals, and the bundle runs (the identity comes from the caller, not the runtime)', async () => {
    project.write(
      'webpack.config.cjs',
      `module.exports = { mode: 'production', target: 'node', entry: './app.js', experiments: { outputModule: true }, output: { filename: 'app.js', path: __dirname + '/webpacked', module: true, chunkFormat: 'module' } };\n`,
    );
    const build = await project.run('webpack', ['--config', 'webpack.config.cjs']);
    expect(build.output).not.toMatch(/WARNING|ERROR/);
    expect(build.code).toBe(0);
    const run = await project.node(['webpacked/app.js']);
    expect(run.output).toBe('42\n');
  });

  test('a browser build gets one clear error when cachier loads, not a failed build', async () => {
    await bundleQuietly(['app.js', '--bundle', '--platform=browser', '--format=esm', '--outfile=out/browser.js', '--log-level=warning']);
    const run = await project.node(['out/browser.js']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('cachier: this is a browser build, and cachier runs in Node.js only');
  });

  test('the browser entry exports the same names as the Node entry', async () => {
    const exportsOf = async (entry: string): Promise<string[]> => {
      const build = await project.run('esbuild', [
        `node_modules/cachier/dist/runtime/${entry}`,
        // Bundled, so that names re-exported with `export *` are listed too.
        '--bundle',
        '--platform=node',
        '--packages=external',
        '--format=esm',
        '--metafile=meta.json',
        '--outfile=out/meta.js',
        '--log-level=error',
      ]);
      expect(build.code).toBe(0);
      const meta = JSON.parse(project.read('meta.json')) as { outputs: Record<string, { exports: string[] }> };
      return (meta.outputs['out/meta.js']?.exports ?? []).sort();
    };
    const node = await exportsOf('index.js');
    expect(node).toContain('cachier');
    expect(await exportsOf('browser.js')).toEqual(node);
  });
});
