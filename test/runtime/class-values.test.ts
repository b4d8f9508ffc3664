import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { cachier } from '../../runtime/index.js';
import { warningsDuring } from '../support/clock.js';

// Values come back as they went in, or are not stored: a class instance would
// come back from a persistent backend as a plain object without its methods.

class Price {
  constructor(readonly cents: number) {}
  inEuros(): string {
    return `${(this.cents / 100).toFixed(2)} EUR`;
  }
}

let nextId = 0;
const backends = [
  ['memory', () => ({ backend: 'memory' as const })],
  ['file', () => ({ backend: 'file' as const, cacheDir: mkdtempSync(join(tmpdir(), 'cachier-class-values-')) })],
] as const;

describe.each(backends)('on the %s backend', (_name, options) => {
  test('a class instance is returned but not stored, with a CACHIER_NOT_STORED warning naming the path and the class', async () => {
    let computations = 0;
    const price = cachier(
      async (cents: number) => {
        computations++;
        return { symbol: 'ACME', quotes: [new Price(cents)] };
      },
      { ...options(), id: `class-values-${process.pid}-${nextId++}` },
    );
    const warnings = await warningsDuring(async () => {
      expect((await price(250)).quotes[0]!.inEuros()).toBe('2.50 EUR');
      expect((await price(250)).quotes[0]!.inEuros()).toBe('2.50 EUR');
    });
    expect(computations).toBe(2);
    expect((await price.cacheInfo()).entries).toBe(0);
    expect(warnings.map((warning) => (warning as NodeJS.ErrnoException).code)).toEqual(['CACHIER_NOT_STORED']);
    expect(warnings[0]!.message).toMatch(/value\.quotes\[0\] is an instance of Price.*Return plain data/);
  });

  test('plain data, Dates, Maps, Sets, typed arrays, errors and null-prototype objects are stored and come back alike', async () => {
    let computations = 0;
    const data = () => ({
      when: new Date(0),
      tags: new Set(['a']),
      byName: new Map([['x', { n: 1 }]]),
      bytes: new Uint8Array([1, 2]),
      failure: new TypeError('bad'),
      bare: Object.assign(Object.create(null) as object, { k: 1 }),
    });
    const load = cachier(
      async () => {
        computations++;
        return data();
      },
      { ...options(), id: `class-values-${process.pid}-${nextId++}` },
    );
    await load();
    const hit = await load();
    expect(computations).toBe(1);
    expect(hit.when).toBeInstanceOf(Date);
    expect(hit.tags).toBeInstanceOf(Set);
    expect(hit.byName.get('x')).toEqual({ n: 1 });
    expect(hit.bytes).toBeInstanceOf(Uint8Array);
    expect(hit.failure).toBeInstanceOf(TypeError);
  });
});
