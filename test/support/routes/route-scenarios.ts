import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { transformModule, type FunctionFacts } from '../../../transformer/engine/index.js';
import { RouteProject, repoRoot, type RunResult } from './route-project.js';

/** One way a user applies the tag: what to install, how to build (if at all) and how to run. */
export interface Route {
  readonly name: string;
  readonly packageType: 'module' | 'commonjs';
  /** npm packages besides the cachier tarball. */
  readonly dependencies: Record<string, string>;
  /** The Node that installs and runs (the tool's minimum); the machine's Node 20 by default. */
  readonly node?: string;
  /** Compiles the project; undefined for routes that run the TypeScript directly. */
  readonly build?: (project: RouteProject) => Promise<RunResult>;
  /** Runs the program once, printing the JSON of `fixtures/routes/src/main.ts`. */
  readonly start: (project: RouteProject) => Promise<RunResult>;
  /** Changes the fixture before the first build (a route's own config). */
  readonly prepare?: (project: RouteProject) => void;
}

interface Printed {
  readonly results: { readonly price: number; readonly total: number };
  readonly facts: ReadonlyArray<{ readonly id: string; readonly sourceHash: string }>;
}

const BAD_TAG = '\n/** @cachier staleAftr=1h */\nexport function bad(): number {\n  return 1;\n}\n';

/** The ids and source hashes the engine gives the fixture's TypeScript, which every route must reproduce. */
export function engineFacts(dir: string): FunctionFacts[] {
  const fileName = join(dir, 'src/prices.ts');
  return [...transformModule({ code: readFileSync(fileName, 'utf8'), fileName }).functions];
}

/**
 * The behaviour every route must show on `fixtures/routes`: computes once
 * across two processes; reformatting recomputes nothing; editing the function
 * or a helper it calls recomputes it; a bad tag fails with file:line:column;
 * the ids and source hashes equal the engine's on the TypeScript source.
 */
export function describeRoute(route: Route): void {
  describe(route.name, () => {
    const project = new RouteProject(route.name.replace(/\W+/g, '-'));
    const { callsFile } = project;
    let seen = 0;
    const newCalls = (): string[] => {
      const calls = readFileSync(callsFile, 'utf8').split('\n').filter(Boolean);
      const added = calls.slice(seen);
      seen = calls.length;
      return added.sort();
    };
    const buildAndStart = async (): Promise<Printed> => {
      if (route.build) {
        const build = await route.build(project);
        expect(build.output, 'the build').not.toMatch(/error/i);
        expect(build.code).toBe(0);
      }
      const run = await route.start(project);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      return JSON.parse(run.stdout.trim().split('\n').pop() as string) as Printed;
    };
    const edit = (path: string, change: (text: string) => string): void => project.write(path, change(project.read(path)));

    beforeAll(async () => {
      cpSync(join(repoRoot, 'fixtures/routes'), project.dir, { recursive: true });
      writeFileSync(callsFile, '');
      route.prepare?.(project);
      await project.install(
        inject('cachierTarball'),
        { '@types/node': '20.19.25', ...route.dependencies },
        { type: route.packageType },
        route.node,
      );
    }, 300_000);
    afterAll(() => project.remove());

    test('a tagged function computes once across two processes, with the ids and source hashes of the engine', async () => {
      const first = await buildAndStart();
      expect(first.results).toEqual({ price: 40, total: 6 });
      expect(newCalls()).toEqual(['price', 'total']);
      expect(first.facts).toEqual(engineFacts(project.dir).map(({ id, sourceHash }) => ({ id, sourceHash })));
      expect(first.facts.map((fact) => fact.id)).toEqual(['route-fixture:src/prices.ts#price', 'route-fixture:src/prices.ts#total']);
      const second = await route.start(project);
      expect(JSON.parse(second.stdout) as Printed).toEqual(first);
      expect(newCalls()).toEqual([]);
    });

    test('reformatting the function and its comments recomputes nothing', async () => {
      edit('src/prices.ts', (text) => text.replace('slowly.', 'slowly, reformatted.').replace(/;$/gm, '').replace(/^ {2}/gm, '    '));
      await buildAndStart();
      expect(newCalls()).toEqual([]);
    });

    test('editing the function recomputes it, and only it', async () => {
      edit('src/prices.ts', (text) => text.replace('quantity * 2', 'quantity * 2 + 0'));
      const printed = await buildAndStart();
      expect(newCalls()).toEqual(['total']);
      expect(printed.facts).toEqual(engineFacts(project.dir).map(({ id, sourceHash }) => ({ id, sourceHash })));
    });

    test('editing a helper it calls recomputes it', async () => {
      edit('src/scale.ts', (text) => text.replace('FACTOR = 10', 'FACTOR = 100'));
      const printed = await buildAndStart();
      expect(printed.results.price).toBe(400);
      expect(newCalls()).toEqual(['price']);
    });

    test('a bad tag fails with file:line:column and a fix', async () => {
      project.write('src/bad.ts', BAD_TAG);
      edit('src/main.ts', (text) => `import './bad.ts';\n${text}`);
      // Compiler routes fail the build; routes that rewrite as modules load (Node hooks, even on built output) fail the run.
      const built = route.build ? await route.build(project) : undefined;
      const result = built && built.code !== 0 ? built : await route.start(project);
      expect(result.code).not.toBe(0);
      expect(result.output).toMatch(/src\/bad\.ts[:(]2[:,]14\)?:? .*unknown @cachier option "staleAftr"; did you mean "staleAfter"\?/);
      // A failed build writes nothing that would run the badly tagged function uncached.
      if (built && built.code !== 0) expect(existsSync(join(project.dir, 'dist/bad.js'))).toBe(false);
      rmSync(join(project.dir, 'src/bad.ts'));
      edit('src/main.ts', (text) => text.replace("import './bad.ts';\n", ''));
    });
  });
}
