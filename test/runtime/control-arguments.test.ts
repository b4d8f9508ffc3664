import { describe, expect, test } from 'vitest';
import { CachierError, InvalidArgumentError, cacheOf, cachier } from '../../runtime/index.js';

describe('controls check their arguments', () => {
  test('precache takes the arguments as an array; a bare value is refused and nothing is stored', async () => {
    let calls = 0;
    const square = cachier(
      function square(x: number) {
        calls++;
        return x * x;
      },
      { backend: 'memory', id: `control-arguments-${Math.random()}` },
    );
    // @ts-expect-error: a bare value where the argument list belongs, as plain JavaScript allows.
    await expect(square.precache(5, 99)).rejects.toThrow(InvalidArgumentError);
    // @ts-expect-error: the same through cacheOf.
    await expect(cacheOf(square).precache(5, 99)).rejects.toThrow(
      /square\.precache\(\): the arguments must be an array.*precache\(\[5\], value\)/,
    );
    expect((await square.cacheInfo()).entries).toBe(0);
    await square.precache([5], 99);
    expect(square(5)).toBe(99);
    expect(calls).toBe(0);
  });

  test('withOptions takes an object of per-call options', () => {
    const square = cachier((x: number) => x * x, { backend: 'memory', id: `control-arguments-${Math.random()}` });
    // @ts-expect-error: not an options object.
    expect(() => square.withOptions(true)).toThrow(CachierError);
    // @ts-expect-error: not an options object.
    expect(() => square.withOptions(null)).toThrow(/withOptions\(\) takes an object of per-call options/);
    expect(square.withOptions({ skipCache: true })(3)).toBe(9);
  });
});
