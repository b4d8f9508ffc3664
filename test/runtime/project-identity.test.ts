import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, test } from 'vitest';
import { defaultFunctionId, projectFinder } from '../../runtime/project-identity.js';
import { transformModule } from '../../transformer/engine/index.js';
import { cachierCli, cachierJson } from '../support/cli/run.js';
import { NODE, RouteProject } from '../support/routes/route-project.js';

// Two projects on one machine must never share a cache by accident: the
// default id names the project (its package name, or its folder when the
// package has none), and the runtime and the tag routes derive the same id.

const runtime = pathToFileURL(resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/runtime/index.js')).href;
const DAY = 24 * 60 * 60 * 1000;

/** Writes `files` (path -> text) under `root`, making folders. */
function write(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

const json = (value: object): string => JSON.stringify(value);

describe('the default id', () => {
  const root = mkdtempSync(join(tmpdir(), 'cachier-project-id-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** A module wrapping `price` with `cachier()` and printing its derived id. */
  const wrapping = [
    `import { cachier } from '${runtime}';`,
    "const price = cachier(function price(x) { return x; }, { backend: 'memory' });",
    'console.log((await price.cacheInfo()).id);',
  ].join('\n');
  const tagged = '/** @cachier */\nexport function price(x) { return x; }\n';

  /** The id `cachier()` derives in `module` (run by Node), and the one the tag routes' engine gives the same function there. */
  const idsOf = (module: string): { derived: string; tagged: string | undefined } => ({
    derived: execFileSync(process.execPath, [module], { encoding: 'utf8' }).trim(),
    tagged: transformModule({ code: tagged, fileName: module }).functions[0]?.id,
  });

  const layouts: Array<{ name: string; files: Record<string, string>; module: string; id: string }> = [
    {
      name: 'the nearest package.json names the project',
      files: { 'app/package.json': json({ name: 'my-app' }) },
      module: 'app/src/prices.mjs',
      id: 'my-app:src/prices.mjs#price',
    },
    {
      name: 'a scoped package name is kept whole',
      files: { 'scoped/package.json': json({ name: '@acme/prices' }) },
      module: 'scoped/lib/prices.mjs',
      id: '@acme/prices:lib/prices.mjs#price',
    },
    {
      name: 'a package.json without a name: its folder names the project',
      files: { 'unnamed-app/package.json': json({ type: 'module' }) },
      module: 'unnamed-app/prices.mjs',
      id: 'unnamed-app:prices.mjs#price',
    },
    {
      name: 'a package.json that is no JSON counts as unnamed',
      files: { 'broken-app/package.json': '{ name: ' },
      module: 'broken-app/prices.mjs',
      id: 'broken-app:prices.mjs#price',
    },
    {
      name: "an unnamed package.json inside a named package (a dual package's dist/esm): the named package, with the path inside it",
      files: { 'dual/package.json': json({ name: 'dual-lib' }), 'dual/dist/esm/package.json': json({ type: 'module' }) },
      module: 'dual/dist/esm/prices.mjs',
      id: 'dual-lib:dist/esm/prices.mjs#price',
    },
    {
      name: "no package.json at all: the module's folder names the project",
      files: {},
      module: 'loose-scripts/prices.mjs',
      id: 'loose-scripts:prices.mjs#price',
    },
  ];

  const cases = layouts.map((layout) => [layout.name, layout] as const);
  test.each(cases)('%s, from cachier() and from the tag alike', (_name, { files, module, id }) => {
    const folder = mkdtempSync(join(root, 'layout-'));
    write(folder, { ...files, [module]: wrapping });
    expect(idsOf(join(folder, module))).toEqual({ derived: id, tagged: id });
  });

  test('a package installed in node_modules keeps its name wherever it is used', () => {
    const installed = { 'package.json': json({ name: 'shared-lib', version: '1.0.0' }), 'index.mjs': wrapping };
    const expected = { derived: 'shared-lib:index.mjs#price', tagged: 'shared-lib:index.mjs#price' };
    for (const user of ['project-one', 'project-two/packages/web']) {
      write(join(root, user), { 'package.json': json({ name: user.replace(/\W/g, '-') }) });
      write(join(root, user, 'node_modules/shared-lib'), installed);
      expect(idsOf(join(root, user, 'node_modules/shared-lib/index.mjs'))).toEqual(expected);
    }
  });

  test('an explicit id is kept exactly as given', () => {
    const folder = mkdtempSync(join(root, 'explicit-'));
    const module = [
      `import { cachier } from '${runtime}';`,
      "const price = cachier((x) => x, { backend: 'memory', id: 'src/prices.ts#price' });",
      'console.log((await price.cacheInfo()).id);',
    ].join('\n');
    write(folder, { 'package.json': json({ name: 'explicit-app' }), 'prices.mjs': module });
    expect(execFileSync(process.execPath, [join(folder, 'prices.mjs')], { encoding: 'utf8' }).trim()).toBe('src/prices.ts#price');
    const code = '/** @cachier id=shared-prices */\nexport function price(x) { return x; }\n';
    const fromTag = transformModule({ code, fileName: join(folder, 'prices.mjs') });
    expect(fromTag.functions[0]?.id).toBe('shared-prices');
  });
});

describe('the project rule on paths of any OS', () => {
  /** A finder over an in-memory disk of package.json files (path -> text). */
  const finderOver = (disk: Record<string, string>) => projectFinder({ exists: (path) => path in disk, read: (path) => disk[path] });

  test('a Windows path gives the id a POSIX path gives: the drive and the separators are not part of it', () => {
    const posix = finderOver({ '/work/app/package.json': json({ name: 'my-app' }) });
    const windows = finderOver({ 'C:/work/app/package.json': json({ name: 'my-app' }) });
    const windowsFile = 'C:\\work\\app\\src\\prices.ts';
    expect(defaultFunctionId(windows(windowsFile), windowsFile, 'fetchPrice')).toBe('my-app:src/prices.ts#fetchPrice');
    const posixFile = '/work/app/src/prices.ts';
    expect(defaultFunctionId(posix(posixFile), posixFile, 'fetchPrice')).toBe('my-app:src/prices.ts#fetchPrice');
  });

  test('a module at the root of a drive, with no package.json, has no project part', () => {
    expect(defaultFunctionId(finderOver({})('C:/prices.ts'), 'C:/prices.ts', 'f')).toBe('prices.ts#f');
    expect(defaultFunctionId(finderOver({})('/prices.ts'), '/prices.ts', 'f')).toBe('prices.ts#f');
  });
});

/**
 * What a new user writes in each project: a settings loader reading the project's own
 * package.json, with the same text in both. `computing` on stderr marks each real computation.
 */
const SETTINGS = `import { readFileSync } from 'node:fs';
import { cachier } from '${runtime}';

export const loadSettings = cachier(function loadSettings(part) {
  console.error('computing');
  const { description } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
  return \`\${description} \${part}\`;
});

for (const part of process.argv.slice(2)) console.log(loadSettings(part));
await new Promise((resolve) => setTimeout(resolve, 300)); // lets the cleanup a store starts finish before the process ends
`;

describe('two projects on one machine with one cache folder, through cachier()', () => {
  let root: string;
  let env: Record<string, string>;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'cachier-two-projects-'));
    env = { CACHIER_DIR: join(root, 'cache') };
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A project as a new user makes it (a package.json without a name) holding `settings.mjs`. */
  const project = (name: string, text = SETTINGS): string => {
    write(join(root, name), { 'package.json': json({ type: 'module', description: name }), 'settings.mjs': text });
    return join(root, name);
  };
  /** Runs the project's settings.mjs for `parts`: what it printed and how many computations ran. */
  const run = (dir: string, ...parts: string[]): { printed: string[]; computations: number } => {
    const options = { encoding: 'utf8', env: { ...process.env, ...env } } as const;
    const result = spawnSync(process.execPath, [join(dir, 'settings.mjs'), ...parts], options);
    if (result.status !== 0) throw new Error(`settings.mjs of ${dir} failed: ${result.stderr}`);
    return { printed: result.stdout.trim().split('\n'), computations: result.stderr.match(/^computing$/gm)?.length ?? 0 };
  };
  /** Dates every file and folder of the cache `ms` back, as if no process had used it since. */
  const age = (ms: number): void => {
    const time = new Date(Date.now() - ms);
    for (const path of readdirSync(env['CACHIER_DIR'] as string, { recursive: true, encoding: 'utf8' })) {
      utimesSync(join(env['CACHIER_DIR'] as string, path), time, time);
    }
  };

  test('the same function text in two projects gives each its own values', () => {
    const projA = project('projA');
    const projB = project('projB');
    expect(run(projA, 'settings')).toEqual({ printed: ['projA settings'], computations: 1 });
    expect(run(projB, 'settings')).toEqual({ printed: ['projB settings'], computations: 1 });
    expect(run(projA, 'settings')).toEqual({ printed: ['projA settings'], computations: 0 });
    expect(run(projB, 'settings')).toEqual({ printed: ['projB settings'], computations: 0 });
  });

  test("neither cachier prune nor the cleanup after a store takes one project's version for the other's old one", () => {
    const older = project('projC');
    const newer = project('projD', SETTINGS.replace("console.error('computing');", "console.error('computing'); // edited in projD only"));
    expect(run(older, 'a').computations).toBe(1);
    expect(run(newer, 'a').computations).toBe(1);
    age(2 * DAY);
    expect(cachierJson<{ wouldRemove: Array<{ kind: string; functionId: string }> }>(['prune', '--dry-run'], env).wouldRemove).toEqual([]);
    expect(cachierCli(['prune', '--yes'], env).status).toBe(0);
    // A store in projD sweeps the versions of its function that no process used for a day.
    expect(run(newer, 'b')).toEqual({ printed: ['projD b'], computations: 1 });
    expect(run(older, 'a')).toEqual({ printed: ['projC a'], computations: 0 });
    expect(run(newer, 'a')).toEqual({ printed: ['projD a'], computations: 0 });
  });
});

describe('two projects on one machine with one cache folder, through node --import cachier/register (Node 22)', () => {
  const first = new RouteProject('project-a');
  const second = new RouteProject('project-b');
  const cacheDir = mkdtempSync(join(tmpdir(), 'cachier-two-projects-tagged-'));
  // The same text in both projects: the tag gives it the same source hash in each.
  const settings = [
    "import { readFileSync } from 'node:fs';",
    '',
    "/** Reads this project's settings. @cachier */",
    'export function loadSettings(part: string): string {',
    "  console.error('computing');",
    "  const { description } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { description: string };",
    '  return `${description} ${part}`;',
    '}',
    '',
    'console.log(loadSettings(process.argv[2] ?? "settings"));',
    '',
  ].join('\n');

  beforeAll(async () => {
    first.write('src/settings.ts', settings);
    await first.install(inject('cachierTarball'), {}, { name: 'project-a', description: 'projA', type: 'module' }, NODE[22]);
    // The second project resolves the same installed packages, as a second `npm install` would give it.
    second.write('src/settings.ts', settings);
    second.write('package.json', json({ name: 'project-b', description: 'projB', type: 'module' }));
    symlinkSync(join(first.dir, 'node_modules'), join(second.dir, 'node_modules'), 'dir');
  }, 300_000);
  afterAll(() => {
    first.remove();
    second.remove();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  const run = async (project: RouteProject): Promise<{ printed: string; computations: number }> => {
    const result = await project.node(['--import', 'cachier/register', 'src/settings.ts'], NODE[22], { CACHIER_DIR: cacheDir });
    expect(result.code, result.stderr).toBe(0);
    return { printed: result.stdout.trim(), computations: result.stderr.match(/^computing$/gm)?.length ?? 0 };
  };

  test('the same tagged function in two projects gives each its own values', async () => {
    expect(await run(first)).toEqual({ printed: 'projA settings', computations: 1 });
    expect(await run(second)).toEqual({ printed: 'projB settings', computations: 1 });
    expect(await run(first)).toEqual({ printed: 'projA settings', computations: 0 });
    expect(await run(second)).toEqual({ printed: 'projB settings', computations: 0 });
    const ids = cachierJson<{ functions: Array<{ id: string }> }>(['ls'], { CACHIER_DIR: cacheDir }).functions.map((fn) => fn.id);
    expect(ids.sort()).toEqual(['project-a:src/settings.ts#loadSettings', 'project-b:src/settings.ts#loadSettings']);
  });
});
