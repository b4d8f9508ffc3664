import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { type Finding, unwrappedTags } from '../../cli/doctor.js';
import { CLI } from '../support/cli/run.js';

// `cachier doctor` in small projects made here, built by the real tsc and tspc.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const SOURCE = `
/** Squares. @cachier staleAfter=1h */
export function square(x: number): number { return x * x; }

/** @cachier */
export const cube = async (x: number) => x * x * x;

export class Shop {
  /** @cachier allowNonStaticMethods */
  size(category: string): number { return category.length; }
}
`;

interface ProjectSetup {
  readonly plugin?: boolean;
  readonly scripts?: Record<string, string>;
  /** Installs a stand-in `typescript` package of this version instead of linking ours. */
  readonly typescriptVersion?: string;
  readonly files?: Record<string, string>;
}

function project(setup: ProjectSetup): string {
  const dir = mkdtempSync(join(tmpdir(), 'cachier-doctor-'));
  mkdirSync(join(dir, 'src'));
  mkdirSync(join(dir, 'node_modules'));
  writeFileSync(join(dir, 'src/a.ts'), SOURCE);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', scripts: setup.scripts ?? {} }));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    `{
  // Comments are allowed here, as tsc allows them.
  "compilerOptions": {
    "target": "ES2022", "module": "nodenext", "outDir": "dist", "rootDir": "src", "skipLibCheck": true,
    ${setup.plugin ? '"plugins": [{ "transform": "cachier/transformer", "transformProgram": true }],' : ''}
  },
  "include": ["src"],
}`,
  );
  symlinkSync(root, join(dir, 'node_modules/cachier'), 'dir');
  if (setup.typescriptVersion) {
    // What TypeScript 7 (the Go compiler) installs as far as require() sees: its version and nothing else.
    mkdirSync(join(dir, 'node_modules/typescript'));
    writeFileSync(
      join(dir, 'node_modules/typescript/package.json'),
      JSON.stringify({ name: 'typescript', version: setup.typescriptVersion, main: 'index.js' }),
    );
    writeFileSync(
      join(dir, 'node_modules/typescript/index.js'),
      `module.exports = { version: '${setup.typescriptVersion}', versionMajorMinor: '7.0' };\n`,
    );
  } else {
    symlinkSync(join(root, 'node_modules/typescript'), join(dir, 'node_modules/typescript'), 'dir');
    symlinkSync(join(root, 'node_modules/ts-patch'), join(dir, 'node_modules/ts-patch'), 'dir');
  }
  for (const [name, text] of Object.entries(setup.files ?? {})) writeFileSync(join(dir, name), text);
  return dir;
}

function build(dir: string, compiler: 'tsc' | 'tspc'): void {
  execFileSync(join(root, 'node_modules/.bin', compiler), ['-p', dir], { cwd: dir, stdio: 'pipe' });
}

function doctor(dir: string, cacheDir = join(dir, 'cache')): { status: number | null; findings: Finding[]; text: string } {
  const run = (json: boolean) => {
    try {
      return {
        status: 0,
        stdout: execFileSync(process.execPath, [CLI, 'doctor', ...(json ? ['--json'] : [])], {
          cwd: dir,
          encoding: 'utf8',
          env: { ...process.env, CACHIER_DIR: cacheDir },
        }),
      };
    } catch (error) {
      const failed = error as { status: number; stdout: string };
      return { status: failed.status, stdout: failed.stdout };
    }
  };
  const json = run(true);
  return { status: json.status, findings: (JSON.parse(json.stdout) as { findings: Finding[] }).findings, text: run(false).stdout };
}

const finding = (findings: Finding[], check: string) => findings.filter((item) => item.check === check);
/** The findings about the tsconfig plugins entry: one `info`, without a fix, saying `detail`. */
const pluginEntryNoted = (findings: Finding[], detail: string): void => {
  expect(finding(findings, 'tsconfig plugin')).toEqual([{ check: 'tsconfig plugin', status: 'info', detail }]);
};

describe('cachier doctor', () => {
  test('a project built by tspc with the plugin entry is healthy (exit 0)', () => {
    const dir = project({ plugin: true, scripts: { build: 'tspc' } });
    build(dir, 'tspc');
    const { status, findings, text } = doctor(dir);
    expect(finding(findings, 'tsconfig plugin')).toEqual([
      expect.objectContaining({ status: 'ok', detail: expect.stringContaining('ts-patch 3.') }),
    ]);
    expect(finding(findings, 'built output')).toEqual([
      expect.objectContaining({ status: 'ok', detail: '1 built file in dist holds tags, all wrapped' }),
    ]);
    expect(finding(findings, 'TypeScript')[0]?.detail).toMatch(/^typescript 5\.\d+\.\d+, ts-patch 3\./);
    expect(findings.filter((item) => item.status === 'fail')).toEqual([]);
    expect(status).toBe(0);
    expect(text).toContain('✓ Node: Node ');
  });

  test('output built by plain tsc holds tagged functions emitted unwrapped: named with file and line (exit 1)', () => {
    const dir = project({ plugin: true, scripts: { build: 'tsc' } });
    build(dir, 'tsc');
    const { status, findings, text } = doctor(dir);
    expect(status).toBe(1);
    expect(finding(findings, 'built output')[0]).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('dist/a.js:1 square, dist/a.js:3 cube, dist/a.js:6 size'),
    });
    expect(finding(findings, 'tsconfig plugin')[0]).toMatchObject({ status: 'warn', fix: expect.stringContaining('tspc') });
    expect(text).toContain('fix: ');
  });

  test('TypeScript 7 with the plugin entry: tags silently not applied (exit 1)', () => {
    const dir = project({ plugin: true, typescriptVersion: '7.0.2', scripts: { build: 'tsc' } });
    const { status, findings } = doctor(dir);
    expect(status).toBe(1);
    expect(finding(findings, 'tsconfig plugin')[0]).toMatchObject({ status: 'fail', detail: expect.stringContaining('Go compiler') });

    const withoutPlugin = doctor(project({ typescriptVersion: '7.0.2', scripts: { build: 'tsc' } }));
    expect(withoutPlugin.status).toBe(1);
    expect(finding(withoutPlugin.findings, 'TypeScript 7')[0]).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('cachier/vite'),
    });
  });

  test("the README's set-up (TypeScript 7, the plugins entry, cachier-tsc run by hand) is noted, not failed: the entry is for tspc", () => {
    // npm init -y writes this script; cachier-tsc is run by hand, so only the wrapped output shows a route applied the tags.
    const readme = project({ plugin: true, typescriptVersion: '7.0.2', scripts: { test: 'echo "Error: no test specified" && exit 1' } });
    build(readme, 'tspc');
    const { status, findings, text } = doctor(readme);
    expect(status).toBe(0);
    pluginEntryNoted(
      findings,
      "the plugins entry (cachier/transformer) is for tspc and the editor; TypeScript 7.0.2's tsc ignores it, so build with npx cachier-tsc, not plain tsc",
    );
    expect(finding(findings, 'built output')[0]).toMatchObject({ status: 'ok' });
    expect(text).not.toContain('fix:');
    expect(text).toContain('No problems found.');

    // The same project built by plain tsc: nothing applied the tags, so the entry fails again, beside the unwrapped output.
    build(readme, 'tsc');
    const plain = doctor(readme);
    expect(plain.status).toBe(1);
    expect(finding(plain.findings, 'tsconfig plugin')[0]).toMatchObject({ status: 'fail', fix: expect.stringContaining('cachier-tsc') });
    expect(finding(plain.findings, 'built output')[0]).toMatchObject({ status: 'fail' });
  });

  test("TypeScript 5 or 6 without ts-patch, with a build whose tags are all wrapped: the entry is noted as tspc's", () => {
    const dir = project({ plugin: true });
    build(dir, 'tspc');
    unlinkSync(join(dir, 'node_modules/ts-patch'));
    const { status, findings } = doctor(dir);
    expect(status).toBe(0);
    pluginEntryNoted(
      findings,
      'the plugins entry (cachier/transformer) is for tspc, which needs ts-patch (not installed); plain tsc ignores it, so build with npx cachier-tsc, not plain tsc',
    );
  });

  test('tagged sources with nothing to apply the tag fail; a Vite config using cachier is a route', () => {
    const bare = doctor(project({ scripts: { build: 'tsc' } }));
    expect(bare.status).toBe(1);
    expect(finding(bare.findings, 'route')[0]).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('1 source file holds @cachier tags'),
    });

    const vite = doctor(
      project({ files: { 'vite.config.ts': "import cachier from 'cachier/vite';\nexport default { plugins: [cachier()] };\n" } }),
    );
    expect(finding(vite.findings, 'bundler or Babel')[0]).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('vite.config.ts'),
    });
    expect(finding(vite.findings, 'route')).toEqual([]);
  });

  test('a script importing tsx before cachier/register is told the order that applies the tags', () => {
    const wrongOrder = doctor(project({ scripts: { start: 'node --import tsx --import cachier/register src/a.ts' } }));
    expect(finding(wrongOrder.findings, 'Node hooks')[0]).toMatchObject({
      status: 'warn',
      fix: expect.stringContaining('--import cachier/register --import tsx'),
    });
    const rightOrder = doctor(project({ scripts: { start: 'node --import cachier/register --import tsx src/a.ts' } }));
    expect(finding(rightOrder.findings, 'Node hooks')[0]).toMatchObject({ status: 'ok' });
  });

  test('tagged sources with no script at all may run under node --import cachier/register: a warning, not a failure', () => {
    const byHand = doctor(project({}));
    expect(byHand.status).toBe(0);
    // The summary says "to fix" only of what makes the exit code non-zero.
    expect(byHand.text).toContain('Nothing to fix; 1 warning.');
    expect(byHand.text).not.toMatch(/\d+ to fix/);
    expect(finding(byHand.findings, 'route')[0]).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('unless you run them with node --import cachier/register'),
    });
  });

  test.each([
    [
      'Rolldown',
      `import { build } from ${JSON.stringify(join(root, 'node_modules/rolldown/dist/index.mjs'))};
import cachier from 'cachier/rolldown';
await build({ input: 'src/main.ts', platform: 'node', external: ['cachier'], plugins: [cachier()], output: { file: 'dist/app.js' } });
`,
    ],
    [
      'esbuild',
      `import { build } from ${JSON.stringify(join(root, 'node_modules/esbuild/lib/main.js'))};
import cachier from 'cachier/esbuild';
await build({ entryPoints: ['src/main.ts'], bundle: true, platform: 'node', format: 'esm', external: ['cachier'], outfile: 'dist/app.js', plugins: [cachier()] });
`,
    ],
  ])(
    'an app bundled by %s from a build script (node build.mjs) is healthy: the script is a route, the bundle wrapped',
    (_bundler, script) => {
      // The entry uses the tagged functions without re-exporting them, so the bundler inlines the module's caches.
      const dir = project({
        typescriptVersion: '7.0.2',
        scripts: { build: 'node build.mjs' },
        files: { 'build.mjs': script, 'src/main.ts': "import { square, cube } from './a.js';\nconsole.log(square(2), await cube(2));\n" },
      });
      execFileSync(process.execPath, ['build.mjs'], { cwd: dir, stdio: 'pipe' });
      const { status, findings } = doctor(dir);
      expect(finding(findings, 'bundler or Babel')).toEqual([
        { check: 'bundler or Babel', status: 'ok', detail: 'build.mjs imports a cachier plugin: the tag is applied when it builds' },
      ]);
      expect(finding(findings, 'TypeScript 7')).toEqual([]);
      // Rolldown keeps the tags' comments, so doctor finds them wrapped; esbuild drops comments, leaving nothing to check.
      expect(finding(findings, 'built output')[0]?.status).not.toBe('fail');
      expect(status).toBe(0);
    },
  );

  test('a tag in a bundle whose module caches the bundler inlined counts as wrapped; one without its id does not', () => {
    const bundled =
      'import * as __cachier from "cachier";\n/** Squares. @cachier staleAfter=1h */\nvar square = __cachier.moduleCaches().cachier((function square(x) { return x * x; }), { id: "app:src/a.ts#square", sourceHash: "G-L6v7vfCmZrftSN", staleAfter: "1h" });\n';
    expect(unwrappedTags('dist/app.js', bundled)).toEqual([]);
    expect(unwrappedTags('dist/app.js', bundled.replace('#square', '#other'))).toEqual(['dist/app.js:2 square']);
    expect(unwrappedTags('dist/app.js', '/** @cachier */\nfunction square(x) { return x * x; }\n')).toEqual(['dist/app.js:1 square']);
  });

  test('a cache folder others can write to is reported with the chmod that fixes it', () => {
    const dir = project({ plugin: true, scripts: { build: 'tspc' } });
    const cacheDir = join(dir, 'shared-cache');
    mkdirSync(cacheDir);
    chmodSync(cacheDir, 0o777);
    const { findings } = doctor(dir, cacheDir);
    expect(finding(findings, 'cache folder')).toEqual([
      expect.objectContaining({
        status: 'warn',
        detail: expect.stringContaining('writable by every user (mode 777)'),
        fix: `chmod 700 ${cacheDir}`,
      }),
    ]);
  });
});
