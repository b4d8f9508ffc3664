import { describe, expect, test } from 'vitest';
import { withHashes } from '../../../../transformer/routes/ts-patch/hash-only-rewrites.js';

/** How a watch rebuild puts new source hashes into JavaScript it does not emit again: only where each old hash is unmistakable. */
describe('withHashes', () => {
  const code =
    'a = cachier(f, { id: "m#a", sourceHash: "AAAAAAAAAAAAAAAA" });\nb = cachier(g, { id: "m#b", sourceHash: "BBBBBBBBBBBBBBBB" });\n';

  test('replaces each changed hash, in place, and keeps the length', () => {
    const patched = withHashes(code, ['AAAAAAAAAAAAAAAA', 'BBBBBBBBBBBBBBBB'], ['AAAAAAAAAAAAAAAA', 'CCCCCCCCCCCCCCCC']);
    expect(patched).toBe(code.replace('BBBBBBBBBBBBBBBB', 'CCCCCCCCCCCCCCCC'));
    expect(patched).toHaveLength(code.length);
  });

  test('two functions that swap hashes each get the other one', () => {
    const swapped = withHashes(code, ['AAAAAAAAAAAAAAAA', 'BBBBBBBBBBBBBBBB'], ['BBBBBBBBBBBBBBBB', 'AAAAAAAAAAAAAAAA']);
    expect(swapped).toContain('id: "m#a", sourceHash: "BBBBBBBBBBBBBBBB"');
    expect(swapped).toContain('id: "m#b", sourceHash: "AAAAAAAAAAAAAAAA"');
  });

  test('answers nothing when a changing hash is not found exactly once, or the lengths differ', () => {
    const twice = `${code}c = "AAAAAAAAAAAAAAAA";\n`;
    expect(withHashes(twice, ['AAAAAAAAAAAAAAAA', 'BBBBBBBBBBBBBBBB'], ['DDDDDDDDDDDDDDDD', 'BBBBBBBBBBBBBBBB'])).toBeUndefined();
    expect(withHashes(code, ['ZZZZZZZZZZZZZZZZ', 'BBBBBBBBBBBBBBBB'], ['DDDDDDDDDDDDDDDD', 'BBBBBBBBBBBBBBBB'])).toBeUndefined();
    expect(withHashes(code, ['AAAAAAAAAAAAAAAA', 'BBBBBBBBBBBBBBBB'], ['SHORT', 'BBBBBBBBBBBBBBBB'])).toBeUndefined();
    expect(withHashes(code, ['AAAAAAAAAAAAAAAA'], ['AAAAAAAAAAAAAAAA', 'BBBBBBBBBBBBBBBB'])).toBeUndefined();
  });
});
