import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { TraceMap, eachMapping } from '@jridgewell/trace-mapping';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { transformModule } from '../../../transformer/engine/index.js';
import { transformProgram } from '../../../transformer/routes/ts-patch/program-transformer.js';
import { layoutFromShownConfig, prepareSources, rewriteEmitted, sourceGraph } from '../../../transformer/routes/tsc7/tsc-route.js';
import { rewriteForBundler } from '../../../transformer/routes/bundlers/plugin-hooks.js';

/**
 * The build routes share work between modules (one parse per module, the
 * compiler's own syntax trees under tspc, each declaration walked once): they
 * must still give every function the id and source hash the engine gives it
 * when it rewrites one module alone, from scratch, with its bundled parser.
 */
const MODULES = 300;

/** A module of a generated project like the build-time bench's, with JSDoc the compiler parses (`@see`, `{@link}`) and a few more forms. */
function moduleSource(index: number): string {
  const others = [1, 7, 31].map((step) => (index + step) % MODULES);
  const lines = others.map((other) => `import { helper${other}, LIMIT${other}, Counter${other} } from './m${other}.js';`);
  lines.push(
    `export const LIMIT${index} = ${index};`,
    `/** Steps the value; @see LIMIT${index} and {@link helper${others[0]}}. */`,
    `export function helper${index}(value: number): number {`,
    `  return value > LIMIT${index} ? value - ${index} : helper${others[0]}(value) + ${index};`,
    '}',
    `export class Counter${index} { static step = ${index}; twice(value: number): number { return value * 2 + Counter${index}.step; } }`,
  );
  const body = others.map((other) => `helper${other}(value) + LIMIT${other} + new Counter${other}().twice(value)`).join(' + ');
  if (index % 3 === 0) lines.push(`/**\n * Computes; see {@link helper${index}}.\n * @see Counter${index}\n * @cachier staleAfter=1h\n */`);
  lines.push(`export function compute${index}(value: number): number {`, `  return ${body};`, '}');
  if (index % 5 === 0)
    lines.push(
      `/** @cachier */`,
      `export const arrow${index} = async (value: number): Promise<number> => compute${index}(value) + LIMIT${index};`,
    );
  return `${lines.join('\n')}\n`;
}

/**
 * How many segments of each `.js.map` in `outDir` lead from a name in the
 * JavaScript to another name in the TypeScript source (0 when every map is
 * right), and how many lead from a name at all. Generated names
 * (`__cachier...`) lead to their tag and are left out.
 */
function misplacedNames(outDir: string, sourceDir: string): { checked: number; misplaced: number } {
  let checked = 0;
  let misplaced = 0;
  const nameAt = (line: string | undefined, column: number): string | undefined => /^[A-Za-z_$][\w$]*/.exec(line?.slice(column) ?? '')?.[0];
  for (const mapFile of readdirSync(outDir).filter((name) => name.endsWith('.js.map'))) {
    const code = readFileSync(join(outDir, mapFile.slice(0, -'.map'.length)), 'utf8').split('\n');
    const source = readFileSync(join(sourceDir, mapFile.replace(/\.js\.map$/, '.ts')), 'utf8').split('\n');
    eachMapping(new TraceMap(readFileSync(join(outDir, mapFile), 'utf8')), (mapping) => {
      if (mapping.originalLine === null) return;
      const name = nameAt(code[mapping.generatedLine - 1], mapping.generatedColumn);
      if (name === undefined || name.startsWith('__cachier')) return;
      checked += 1;
      if (nameAt(source[mapping.originalLine - 1], mapping.originalColumn) !== name) misplaced += 1;
    });
  }
  return { checked, misplaced };
}

/** `id` to source hash, from rewritten code. */
function hashesIn(code: string): Map<string, string> {
  return new Map(
    [...code.matchAll(/\{ id: ("[^"]*"), sourceHash: ("[^"]*")/g)].map((match) => [
      JSON.parse(match[1] as string) as string,
      JSON.parse(match[2] as string) as string,
    ]),
  );
}

describe('the shared work of a build gives the hashes of one module rewritten alone', () => {
  let dir: string;
  let sources: string[];
  /** The engine on one module at a time, nothing shared: a new graph for each, reading from disk. */
  const alone = new Map<string, string>();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cachier-build-hashes-'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'generated', version: '1.0.0', type: 'module', private: true }));
    for (let index = 0; index < MODULES; index += 1) writeFileSync(join(dir, 'src', `m${index}.ts`), moduleSource(index));
    sources = readdirSync(join(dir, 'src')).map((name) => join(dir, 'src', name));
    for (const fileName of sources) {
      for (const fn of transformModule({ code: readFileSync(fileName, 'utf8'), fileName }).functions) alone.set(fn.id, fn.sourceHash);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the reference covers every tagged function, each with a hash of its helpers', () => {
    expect(alone.size).toBe(100 + 60);
    expect(new Set(alone.values()).size).toBe(alone.size);
  });

  test('tspc: the compiler TypeScript (5.9) and its own syntax trees, JSDoc parsed as tsc parses it', () => {
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      strict: true,
      skipLibCheck: true,
      types: [],
      noEmit: true,
    };
    const host = ts.createCompilerHost(options);
    host.jsDocParsingMode = ts.JSDocParsingMode.ParseForTypeErrors;
    const program = ts.createProgram({ rootNames: sources, options, host });
    // The compiler parsed the JSDoc the hash must ignore.
    expect(
      program.getSourceFile(join(dir, 'src/m3.ts'))?.statements.some((statement) => (statement as { jsDoc?: unknown[] }).jsDoc?.length),
    ).toBe(true);
    const extended = transformProgram(ts, program, host);
    const built = new Map(sources.flatMap((fileName) => [...hashesIn(extended.getSourceFile(fileName)?.text ?? '')]));
    expect(built).toEqual(alone);
  });

  test('cachier-tsc: one graph for the tag check, the preparation while tsc runs, and the rewrite of the emitted JavaScript', async () => {
    const layout = layoutFromShownConfig(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ files: sources.map((fileName) => fileName.slice(dir.length + 1)).reverse(), compilerOptions: { noEmit: true } }),
    );
    const graph = sourceGraph();
    await prepareSources(layout, graph);
    const pass = rewriteEmitted(layout, graph);
    expect(new Map(pass.functions.map((fn) => [fn.id, fn.sourceHash]))).toEqual(alone);
  });

  test('the source maps of both compiler routes lead every name of the rewritten JavaScript to the same name in the TypeScript', () => {
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      strict: true,
      skipLibCheck: true,
      types: [],
      sourceMap: true,
      rootDir: join(dir, 'src'),
    };
    const emit = (outDir: string, transform: boolean): void => {
      const host = ts.createCompilerHost({ ...options, outDir });
      const program = ts.createProgram({ rootNames: sources, options: { ...options, outDir }, host });
      (transform ? transformProgram(ts, program, host) : program).emit();
    };
    emit(join(dir, 'tspc'), true);
    // cachier-tsc rewrites what the compiler wrote, and carries its maps along.
    emit(join(dir, 'tsc'), false);
    const shown = { files: sources.map((fileName) => fileName.slice(dir.length + 1)), compilerOptions: { outDir: 'tsc', rootDir: 'src' } };
    expect(rewriteEmitted(layoutFromShownConfig(join(dir, 'tsconfig.json'), JSON.stringify(shown))).rewritten).toHaveLength(140);
    for (const outDir of ['tspc', 'tsc']) {
      const { checked, misplaced } = misplacedNames(join(dir, outDir), join(dir, 'src'));
      expect({ outDir, misplaced }).toEqual({ outDir, misplaced: 0 });
      expect(checked).toBeGreaterThan(10_000);
    }
  });

  test('bundlers: one module per call, as a bundler hands them over', () => {
    const built = new Map(
      sources.flatMap((fileName) => [...hashesIn(rewriteForBundler(readFileSync(fileName, 'utf8'), fileName)?.code ?? '')]),
    );
    expect(built).toEqual(alone);
  });
});
