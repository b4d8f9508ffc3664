import { afterEach, describe, expect, test } from 'vitest';
// Imported as a user would: the rewritten functions import 'cachier' (the
// built package), and its defaults and registry are the ones that count.
import { cacheOf, resetDefaults, setDefaults } from 'cachier';

// These functions are tagged, not wrapped: the cachier/vite plugin in
// vitest.config.ts rewrites them before the tests run, as it would in any
// project that runs TypeScript through Vite or Vitest.

let squareCalls = 0;

/** Squares, slowly. @cachier backend=memory */
function square(n: number): number {
  squareCalls++;
  return n * n;
}

let priceCalls = 0;

/**
 * @cachier backend=memory staleAfter=1h
 *   id=vitest-prices
 */
const price = async (symbol: string): Promise<number> => {
  priceCalls++;
  return symbol.length * 100;
};

class Shop {
  taxCalls = 0;

  /** @cachier backend=memory hash=byShopName */
  tax(this: Shop, amount: number): number {
    this.taxCalls++;
    return amount * 0.2;
  }

  constructor(readonly name: string) {}
}

// biome-ignore lint/correctness/noUnusedVariables: the tag above Shop.tax names it (hash=byShopName).
function byShopName(args: [number], shop: Shop): unknown {
  return [shop.name, ...args];
}

afterEach(() => {
  resetDefaults();
});

describe('functions tagged in a test file run through the Vite plugin', () => {
  test('a tagged function declaration is cached', () => {
    expect(square(7)).toBe(49);
    expect(square(7)).toBe(49);
    expect(squareCalls).toBe(1);
  });

  test('a tagged arrow function honours staleAfter and its id', async () => {
    let now = Date.now();
    setDefaults({ clock: () => now });
    expect(await price('ACME')).toBe(400);
    expect(await price('ACME')).toBe(400);
    expect(priceCalls).toBe(1);
    now += 2 * 60 * 60 * 1000;
    expect(await price('ACME')).toBe(400);
    expect(priceCalls).toBe(2);
    expect((await cacheOf(price).cacheInfo()).id).toBe('vitest-prices');
  });

  test('a tagged method keys on what its hash option returns', () => {
    const north = new Shop('north');
    const south = new Shop('south');
    expect(north.tax(10)).toBe(2);
    expect(north.tax(10)).toBe(2);
    expect(south.tax(10)).toBe(2);
    expect(north.taxCalls + south.taxCalls).toBe(2);
  });

  test('the generated id of a declaration names this module and the function', async () => {
    expect((await cacheOf(square).cacheInfo()).id).toBe('cachier:test/transformer/routes/bundlers/tagged-under-vitest.test.ts#square');
  });
});
