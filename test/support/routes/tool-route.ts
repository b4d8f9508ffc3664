import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { transformModule } from '../../../transformer/engine/index.js';
import { RouteProject, repoRoot, type RunResult } from './route-project.js';

/** One bundler or Babel setup, as a user's project has it. */
export interface ToolRoute {
  /** The folder of `fixtures/bundlers/` with the tool's configuration, copied over the shared `src/`. */
  readonly fixture: string;
  /** What the project installs besides `cachier`, at the tool's current release. */
  readonly dependencies: Record<string, string>;
  /** Extra `package.json` fields (the project is `"type": "module"`). */
  readonly packageJson?: Record<string, unknown>;
  /** The Node binary the tool runs under (one of `NODE`); the running one by default. */
  readonly node?: string;
  /** The command that builds `dist/`; absent for tools that rewrite as they run (Vitest, Jest). */
  readonly build?: readonly string[];
  /** Per module format, the command that runs the project and prints its report line. */
  readonly runs: Readonly<Record<string, readonly string[]>>;
  /** A type check of `src/` with the project's own compiler, which must pass: `cacheOf(price)` types the controls. */
  readonly typeCheck?: readonly string[];
}

/** The line `src/report.ts` prints. */
interface Report {
  readonly value: number;
  readonly id: string;
  readonly sourceHash: string;
  readonly hits: number;
  readonly misses: number;
}

const PRICES = 'src/prices.ts';
const HELPER = 'src/helper.ts';

/**
 * The behaviours every route must show, against one project installed once:
 * the cache is shared across processes and module formats, follows edits of
 * the function and of its helper but not of its formatting, a bad tag fails
 * with `file:line:column`, and id and source hash are the engine's on the
 * TypeScript source, which is what the compiler route uses.
 */
export function describeToolRoute(name: string, route: ToolRoute): void {
  describe(`${name}: a project built with the cachier plugin`, () => {
    const project = new RouteProject(route.fixture);
    const formats = Object.keys(route.runs);

    beforeAll(async () => {
      cpSync(join(repoRoot, 'fixtures/bundlers/src'), join(project.dir, 'src'), { recursive: true });
      cpSync(join(repoRoot, 'fixtures/bundlers', route.fixture), project.dir, { recursive: true });
      await project.install(inject('cachierTarball'), route.dependencies, { type: 'module', ...route.packageJson }, route.node);
    }, 300_000);
    afterAll(() => project.remove());

    const build = async (): Promise<RunResult> => {
      if (!route.build) return { code: 0, stdout: '', stderr: '', output: '' };
      const [command = '', ...args] = route.build;
      return project.run(command, args, {}, route.node);
    };
    const buildOrFail = async (): Promise<void> => {
      const result = await build();
      expect(result.code, result.output).toBe(0);
    };
    const runFormat = (format: string): Promise<RunResult> => {
      const [command = '', ...args] = route.runs[format] ?? [];
      return project.run(command, args, {}, route.node);
    };
    const report = async (format: string): Promise<Report> => {
      const result = await runFormat(format);
      // Test runners print it among their own (possibly coloured) lines.
      const line = /\{"value".*\}/.exec(result.output)?.[0];
      expect(line, result.output).toBeDefined();
      return JSON.parse(line as string) as Report;
    };
    /** What the engine answers for `price` when run directly on the TypeScript source. */
    const engineFacts = (): { id: string; sourceHash: string } => {
      const fileName = join(project.dir, PRICES);
      const [facts] = transformModule({ code: readFileSync(fileName, 'utf8'), fileName }).functions;
      return { id: facts?.id ?? '', sourceHash: facts?.sourceHash ?? '' };
    };
    /** Runs every format: the first computes (unless `computed`), every later one is served from the cache. */
    const runAll = async (computed: boolean): Promise<Report[]> => {
      const reports: Report[] = [];
      for (const format of formats) reports.push(await report(format));
      expect(reports.map(({ hits, misses }) => ({ hits, misses }))).toEqual(
        formats.map((_, index) => (index === 0 && !computed ? { hits: 0, misses: 1 } : { hits: 1, misses: 0 })),
      );
      return reports;
    };

    test(`computes once across processes and module formats (${formats.join(', ')}), with the id and source hash the engine gives the TypeScript source`, async () => {
      await buildOrFail();
      const reports = await runAll(false);
      expect((await report(formats[0] as string)).hits).toBe(1);
      for (const { value, id, sourceHash } of reports) expect({ value, id, sourceHash }).toEqual({ value: 41, ...engineFacts() });
      expect(engineFacts().id).toBe('route-fixture:src/prices.ts#price');
    });

    if (route.typeCheck) {
      const [command = '', ...args] = route.typeCheck;
      test(`the controls type-check through cacheOf(price) with \`${route.typeCheck.join(' ')}\`, which knows nothing of the rewrite`, async () => {
        const result = await project.run(command, args, {}, route.node);
        expect(result.output).toBe('');
        expect(result.code).toBe(0);
      });
    }

    test('reformatting the function keeps its cache', async () => {
      const before = engineFacts().sourceHash;
      project.write(PRICES, project.read(PRICES).replace('return rate(n) + 1;', '\n    return   rate( n ) + 1 ;\n'));
      await buildOrFail();
      const reports = await runAll(true);
      expect(reports.map((entry) => entry.sourceHash)).toEqual(formats.map(() => before));
    });

    test('editing the function recomputes, under its new source hash', async () => {
      const before = engineFacts().sourceHash;
      project.write(PRICES, project.read(PRICES).replace('+ 1', '+ 2'));
      await buildOrFail();
      const reports = await runAll(false);
      for (const { value, sourceHash } of reports)
        expect({ value, sourceHash }).toEqual({ value: 42, sourceHash: engineFacts().sourceHash });
      expect(engineFacts().sourceHash).not.toBe(before);
    });

    test('editing a helper the function calls recomputes', async () => {
      const before = engineFacts().sourceHash;
      project.write(HELPER, project.read(HELPER).replace('n * 2', 'n * 3'));
      await buildOrFail();
      const reports = await runAll(false);
      for (const { value, sourceHash } of reports)
        expect({ value, sourceHash }).toEqual({ value: 62, sourceHash: engineFacts().sourceHash });
      expect(engineFacts().sourceHash).not.toBe(before);
    });

    test('a bad tag fails with file:line:column and the fix', async () => {
      project.write(PRICES, project.read(PRICES).replace('/** @cachier */', '/** @cachier staleAfter=soon */'));
      const result = route.build ? await build() : await runFormat(formats[0] as string);
      expect(result.code).not.toBe(0);
      expect(result.output).toMatch(/src\/prices\.ts:3:25: cachier: option "staleAfter" expects milliseconds or a duration/);
    });
  });
}
