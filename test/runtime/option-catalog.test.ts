import type { SyntaxNode } from '../../transformer/engine/parser.js';
import { describe, expect, test } from 'vitest';
import { cachier, getDefaults, setDefaults, resetDefaults } from '../../runtime/index.js';
import { backends } from '../../runtime/backends/registry.js';
import { OPTIONS, optionsAt, type OptionKind } from '../../runtime/options/catalog.js';
import { TagProblem } from '../../transformer/engine/problems.js';
import { checkTagOptions } from '../../transformer/engine/tag-options.js';
import { parseTag } from '../../transformer/engine/tag-parser.js';

// The option catalog is the one list of options: what cachier(), setDefaults(),
// withOptions() and the @cachier tag accept is read from it and from the backends' descriptors.

/** A value of each kind as a tag writes it. */
const TAG_SAMPLES: Readonly<Record<OptionKind, string>> = {
  duration: '1h30m',
  shelfLife: '3d',
  maxAge: '5m',
  lease: '10s',
  boolean: 'true',
  backend: 'memory',
  text: 'prices',
  function: 'keyOf',
  size: '64KB',
  count: '1000',
  rate: '0.25',
  localTier: 'true',
};

/** Every name resolves to a binding, as if declared in the module. */
const anywhere = { findBinding: () => ({}) as SyntaxNode };

function checkTag(text: string) {
  const tag = parseTag(text, 0);
  if (!tag) throw new Error('no tag');
  return checkTagOptions(tag, anywhere);
}

function tagProblem(text: string): string {
  try {
    checkTag(text);
  } catch (error) {
    if (error instanceof TagProblem) return error.message;
    throw error;
  }
  throw new Error(`no problem in ${text}`);
}

describe('the option catalog', () => {
  test('every option a tag may set is accepted in a tag, with a value of its kind', () => {
    for (const name of optionsAt('tag')) {
      const options = checkTag(`/** @cachier ${name}=${TAG_SAMPLES[OPTIONS[name].kind]} */`);
      expect(options.map((option) => option.name)).toEqual([name]);
    }
  });

  test('the tag accepts metricsSamplingRate from 0 to 1, as the runtime does, and refuses more', () => {
    expect(checkTag('/** @cachier metricsSamplingRate=0.5 */')[0]?.value).toEqual({ kind: 'number', value: 0.5 });
    expect(tagProblem('/** @cachier metricsSamplingRate=1.5 */')).toMatch(/"metricsSamplingRate" expects a number from 0 to 1/);
    expect(() => cachier(async () => 1, { metricsSamplingRate: 1.5 })).toThrow(/metricsSamplingRate.*from 0 to 1/);
  });

  test('maxEntries takes a whole number above 0 and maxBytes a size, in a tag as in cachier()', () => {
    expect(checkTag('/** @cachier maxEntries=500 maxBytes=10MB */').map((option) => option.value)).toEqual([
      { kind: 'number', value: 500 },
      { kind: 'string', text: '10MB' },
    ]);
    expect(tagProblem('/** @cachier maxEntries=0 */')).toMatch(/"maxEntries" expects a whole number above 0, got "0"/);
    expect(tagProblem('/** @cachier maxEntries=2.5 */')).toMatch(/"maxEntries" expects a whole number above 0/);
    expect(tagProblem('/** @cachier maxBytes=lots */')).toMatch(/"maxBytes" expects a positive number of bytes/);
    expect(() => cachier(async () => 1, { maxEntries: 0 })).toThrow(/"maxEntries".*whole number above 0, got 0/);
    expect(() => cachier(async () => 1, { maxEntries: 1.5 })).toThrow(/"maxEntries".*whole number above 0/);
    expect(() => cachier(async () => 1, { maxBytes: '-1MB' })).toThrow(/"maxBytes".*positive number of bytes/);
    expect(() => cachier(async () => 1, { backend: 'memory', maxEntries: 10, maxBytes: '1MB' })).not.toThrow();
  });

  test('a tag choosing a backend that needs a connection must name its binding', () => {
    for (const backend of backends) {
      const connection = backend.connection;
      if (!connection) {
        expect(checkTag(`/** @cachier backend=${backend.name} */`)).toHaveLength(1);
        continue;
      }
      expect(tagProblem(`/** @cachier backend=${backend.name} */`)).toBe(
        `backend=${backend.name} needs ${connection.option}=<name of a binding in scope> (${connection.hint}); add it to the tag`,
      );
      expect(checkTag(`/** @cachier backend=${backend.name} ${connection.option}=client */`)).toHaveLength(2);
    }
  });

  test("another backend's own or connection option is refused in a tag and in cachier()", () => {
    expect(tagProblem('/** @cachier backend=memory cacheDir=/tmp */')).toMatch(
      /"cacheDir" applies to backend=file only, but backend=memory/,
    );
    expect(tagProblem('/** @cachier backend=file redis=client */')).toMatch(/"redis" applies to backend=redis only, but backend=file/);
    expect(() => cachier(async () => 1, { backend: 'memory', redis: {} as never })).toThrow(
      /"redis": applies to the redis backend only, but backend is 'memory'/,
    );
  });

  test('each place accepts the options the catalog lists for it, and refuses the others', async () => {
    try {
      const clock = (): number => 0;
      setDefaults({ clock });
      expect(getDefaults().clock).toBe(clock);
      expect(() => cachier(async () => 1, { clock: () => 0 } as never)).toThrow(/"clock": is not an option of cachier\(\) options/);
      const fn = cachier(async (x: number) => x, { backend: 'memory', id: 'catalog-places' });
      await expect(fn.withOptions({ maxAge: '1m', debug: false })(7)).resolves.toBe(7);
      expect(() => fn.withOptions({ lease: '1m' } as never)).toThrow(/"lease": is not a per-call option/);
      expect(() => setDefaults({ id: 'x' } as never)).toThrow(/"id": is not an option of setDefaults\(\)/);
    } finally {
      resetDefaults();
    }
  });
});
