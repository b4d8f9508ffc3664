import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, test } from 'vitest';
import { cachier, cachierKey, resetDefaults, setDefaults, UnkeyableArgumentError, UnkeyableThisError } from '../../runtime/index.js';
import { transformModule } from '../../transformer/engine/index.js';
import { NODE } from '../support/node-versions/node-versions.js';

// A cached function called as a method of an instance (`a.describe()`) keys on
// the instance too: two instances never share entries by accident (issue 21;
// Python cachier 4.3 refuses instance methods unless allow_non_static_methods, its #368).

let nextId = 0;
const uniqueId = (): string => `instance-methods-${process.pid}-${nextId++}`;

const backends = [
  ['memory', () => ({ backend: 'memory' as const })],
  ['file', () => ({ backend: 'file' as const, cacheDir: mkdtempSync(join(tmpdir(), 'cachier-instances-')) })],
] as const;

afterEach(() => resetDefaults());

/** `name has count`, counting computations. */
function describer(options: object) {
  const counter = { computations: 0 };
  const describe = cachier(
    function describe(this: { name: string; count: number }): string {
      counter.computations++;
      return `${this.name} has ${this.count}`;
    },
    { ...options, id: uniqueId() },
  );
  return { counter, describe };
}

class Pantry {
  constructor(
    readonly name: string,
    readonly count: number,
  ) {}
}

describe.each(backends)('on the %s backend', (_name, options) => {
  test('two instances with different state get their own values: plain data this', () => {
    const { counter, describe } = describer(options());
    const a = { name: 'ann', count: 10 };
    const b = { name: 'bob', count: 3 };
    expect(describe.call(a)).toBe('ann has 10');
    expect(describe.call(b)).toBe('bob has 3');
    expect(describe.call({ count: 10, name: 'ann' })).toBe('ann has 10');
    expect(counter.computations).toBe(2);
  });

  test('instances with a [cachierKey]() method get their own values, and instances with equal keys share an entry', async () => {
    class Shelf extends Pantry {
      [cachierKey]() {
        return [this.name, this.count];
      }
    }
    const { counter, describe } = describer(options());
    Object.defineProperty(Shelf.prototype, 'describe', { value: describe });
    const shelf = (name: string, count: number) => new Shelf(name, count) as Shelf & { describe(): string };
    expect(shelf('ann', 10).describe()).toBe('ann has 10');
    expect(shelf('bob', 3).describe()).toBe('bob has 3');
    expect(shelf('ann', 10).describe()).toBe('ann has 10');
    expect(counter.computations).toBe(2);
    expect((await describe.cacheInfo()).entries).toBe(2);
  });

  test('an instance without a [cachierKey]() method throws UnkeyableThisError at the call, naming class, method and fixes', async () => {
    const { counter, describe } = describer(options());
    let caught: unknown;
    try {
      describe.call(new Pantry('ann', 10));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UnkeyableThisError);
    expect(caught).toBeInstanceOf(UnkeyableArgumentError);
    expect(caught).toMatchObject({ method: 'Pantry.describe()', path: 'this' });
    const message = (caught as Error).message;
    expect(message).toMatch(/^cachier: cannot key the call of Pantry\.describe\(\): this is an instance of Pantry/);
    expect(message).toContain('give Pantry a [cachierKey]() method');
    expect(message).toContain('allowNonStaticMethods: true');
    expect(counter.computations).toBe(0);
    expect((await describe.cacheInfo()).entries).toBe(0);
  });

  test('an async method rejects with the error, and a plain this holding a class instance names where it sits', async () => {
    const total = cachier(
      async function total(this: object, x: number) {
        return x;
      },
      { ...options(), id: uniqueId() },
    );
    await expect(total.call(new Pantry('ann', 1), 1)).rejects.toThrow(UnkeyableThisError);
    await expect(total.call({ owner: new Pantry('ann', 1) }, 1)).rejects.toThrow(
      /total\(\): this\.owner is an instance of Pantry, which cachier cannot compare by value; give Pantry a \[cachierKey\]\(\) method/,
    );
  });

  test('allowNonStaticMethods shares one cache across instances on purpose, given to cachier() or setDefaults()', () => {
    const own = describer({ ...options(), allowNonStaticMethods: true });
    expect(own.describe.call(new Pantry('ann', 10))).toBe('ann has 10');
    expect(own.describe.call(new Pantry('bob', 3))).toBe('ann has 10');
    expect(own.counter.computations).toBe(1);

    setDefaults({ allowNonStaticMethods: true });
    const defaulted = describer(options());
    expect(defaulted.describe.call(new Pantry('ann', 10))).toBe('ann has 10');
    expect(defaulted.describe.call(new Pantry('bob', 3))).toBe('ann has 10');
  });

  test('a hash option decides the key alone, this included', () => {
    const { counter, describe } = describer({ ...options(), hash: (_args: unknown[], self: Pantry) => self.name });
    expect(describe.call(new Pantry('ann', 10))).toBe('ann has 10');
    expect(describe.call(new Pantry('ann', 99))).toBe('ann has 10');
    expect(counter.computations).toBe(1);
  });

  test("a method's key never meets the key of a call without this", async () => {
    const { describe } = describer(options());
    await describe.precache([] as never, 'precached without this');
    expect(describe.call({ name: 'ann', count: 10 })).toBe('ann has 10');
    expect(describe.call(undefined as never)).toBe('precached without this');
  });

  test('a module function, a static method, a namespace, CommonJS exports and an object literal keep their keys', async () => {
    let computations = 0;
    const double = cachier(
      function double(x: number): number {
        computations++;
        return x * 2;
      },
      { ...options(), id: uniqueId() },
    );
    class Numbers {
      static double = double;
    }
    class MoreNumbers extends Numbers {}
    const exportsObject: Record<string, unknown> = { version: '1.0', double };
    const namespace = Object.freeze(Object.assign(Object.create(null) as object, { double, [Symbol.toStringTag]: 'Module' }));
    // A bundler's namespace object exports through getters.
    const bundled = Object.defineProperty({}, 'double', { get: () => double, enumerable: true });
    await double.precache([21], 42);
    expect(double(21)).toBe(42);
    expect(Numbers.double(21)).toBe(42);
    expect(MoreNumbers.double(21)).toBe(42);
    expect((exportsObject['double'] as typeof double)(21)).toBe(42);
    expect((exportsObject.double as typeof double).call(exportsObject, 21)).toBe(42);
    expect(double.call(namespace, 21)).toBe(42);
    expect(double.call(bundled, 21)).toBe(42);
    expect(double.call(globalThis, 21)).toBe(42);
    expect(computations).toBe(0);
    expect((await double.cacheInfo()).entries).toBe(1);
    // Called through a namespace, an unkeyable argument is named as such, not `this`.
    const badArgument = () => double.call(exportsObject, (() => 21) as never);
    expect(badArgument).toThrow(UnkeyableArgumentError);
    expect(badArgument).not.toThrow(UnkeyableThisError);
    expect(badArgument).toThrow(/argument 1 is a function/);
  });
});

describe('the stored key of a call without an instance is what it was before methods were keyed', () => {
  test('the file backend names the entry of double(21) by the digest of its arguments alone', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'cachier-instances-'));
    class Numbers {
      static double = cachier((x: number) => x * 2, { backend: 'file', cacheDir, id: uniqueId() });
    }
    Numbers.double(21);
    const api = { double: Numbers.double };
    api.double(21);
    expect(entryFiles(cacheDir)).toEqual([ENTRY_OF_21]);
  });
});

/** The entry file names under a file backend's folder. */
function entryFiles(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((path) => /(^|\/)entries\/[0-9a-f]{2}\/[0-9a-f]{62}$/.test(path))
    .map((path) => path.slice(-65).replace('/', ''));
}

// keyOfArguments([21]) as the key builder computed it before methods were keyed, and its file name.
const PINNED_KEY_OF_21 = 'vxZIAZaxR4A394O2f0kj8RCGwQVkBIAWQeHz11MdNwQ';
const ENTRY_OF_21 = createHash('sha256').update(PINNED_KEY_OF_21).digest('hex');

describe('a tagged instance method', () => {
  const engineProblems = (code: string) => transformModule({ code, fileName: '/project/src/shop.ts' }).diagnostics;
  const method = (classHead: string, tag: string, members = '') =>
    `import { cachierKey } from 'cachier';\n${classHead} {\n${members}  /** @cachier ${tag} */\n  describe(): string { return ''; }\n}\n`;

  test('on a class that has no [cachierKey]() method and extends nothing is a build error at the tag, with the fixes', () => {
    const [problem, ...others] = engineProblems(method('export class Pantry', 'backend=memory'));
    expect(others).toEqual([]);
    expect(problem).toMatchObject({ line: 3, column: 7 });
    expect(problem?.message).toMatch(/^describe is an instance method, so cachier keys each call by its instance too/);
    expect(problem?.message).toContain('Give Pantry a [cachierKey]() method');
    expect(problem?.message).toContain('add allowNonStaticMethods to this tag');
    expect(problem?.message).toContain('or make describe static');
    expect(engineProblems(method('export const Pantry = class', ''))[0]?.message).toContain('but Pantry has no [cachierKey]() method');
    expect(engineProblems(method('export class Pantry', 'allowNonStaticMethods=false'))).toHaveLength(1);
    expect(engineProblems(method('export class Pantry', ''))).toHaveLength(1);
    expect(engineProblems(method('export class Pantry', '', '  [Symbol.iterator]() { return [][Symbol.iterator](); }\n'))).toHaveLength(1);
  });

  test('is accepted with a [cachierKey]() method, allowNonStaticMethods, a hash, a base class, or as a static method', () => {
    expect(engineProblems(method('export class Pantry', '', '  [cachierKey]() { return 1; }\n'))).toEqual([]);
    expect(engineProblems(method('export class Pantry', 'allowNonStaticMethods'))).toEqual([]);
    expect(engineProblems(`const byName = () => 1;\n${method('export class Pantry', 'hash=byName')}`)).toEqual([]);
    expect(engineProblems(method('export class Pantry extends Object', ''))).toEqual([]);
    expect(engineProblems(`export class Pantry {\n  /** @cachier */\n  static describe(): string { return ''; }\n}\n`)).toEqual([]);
  });

  describe('through node --import cachier/register (Node 24)', () => {
    const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
    const project = mkdtempSync(join(tmpdir(), 'cachier-instances-route-'));
    mkdirSync(join(project, 'src'));
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(root, join(project, 'node_modules/cachier'), 'dir');
    writeFileSync(join(project, 'package.json'), JSON.stringify({ type: 'module' }));
    const pantry = (name: string, members: string, tag: string) =>
      `import { cachierKey } from 'cachier';\n\nexport class ${name} {\n  readonly name: string;\n  readonly count: number;\n` +
      `  constructor(name: string, count: number) {\n    this.name = name;\n    this.count = count;\n  }\n${members}\n` +
      `  /** @cachier backend=memory ${tag} */\n  describe(): string {\n    return \`\${this.name} has \${this.count}\`;\n  }\n}\n`;
    writeFileSync(join(project, 'src/keyed.ts'), pantry('Keyed', '  [cachierKey]() {\n    return [this.name, this.count];\n  }\n', ''));
    writeFileSync(join(project, 'src/shared.ts'), pantry('Shared', '', 'allowNonStaticMethods'));
    writeFileSync(join(project, 'src/unkeyed.ts'), pantry('Unkeyed', '', ''));
    writeFileSync(
      join(project, 'src/main.ts'),
      "import { Keyed } from './keyed.ts';\nimport { Shared } from './shared.ts';\n" +
        "const pantries = [new Keyed('ann', 10), new Keyed('bob', 3), new Shared('ann', 10), new Shared('bob', 3)];\n" +
        'const described = pantries.map((pantry) => pantry.describe());\n' +
        'console.log(JSON.stringify(described));\n',
    );
    writeFileSync(join(project, 'src/bad.ts'), "import { Unkeyed } from './unkeyed.ts';\nnew Unkeyed('ann', 10).describe();\n");
    const run = (main: string) =>
      promisify(execFile)(NODE[24], ['--import', 'cachier/register', main], { cwd: project }).then(
        ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );

    test('each instance gets its own value with [cachierKey](), and allowNonStaticMethods shares', async () => {
      const { code, stdout, stderr } = await run('src/main.ts');
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toEqual(['ann has 10', 'bob has 3', 'ann has 10', 'ann has 10']);
    });

    test('a method the runtime could not key stops the program at load, with file:line:column', async () => {
      const { code, stderr } = await run('src/bad.ts');
      expect(code).not.toBe(0);
      expect(stderr).toContain(`${join(project, 'src/unkeyed.ts')}:11:7: cachier: describe is an instance method`);
    });
  });
});
