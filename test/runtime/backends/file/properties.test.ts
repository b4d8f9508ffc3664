/*
 * Property-based tests (fast-check): keys and entry decoding hold for any
 * input, not just the ones we thought of. Seeds are fixed so a failure
 * replays; fast-check prints the smallest counterexample it finds.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { serialize } from 'node:v8';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MIN_ARRAY_LENGTH_BOUND, decodeEntry, encodeEntry } from '../../../../runtime/backends/file/entry-codec.js';
import { keyOfArguments } from '../../../../runtime/keys.js';
import { freshPlace } from '../../../support/file-core/children.js';

const RUNS = { numRuns: 500, seed: 20261129 };

/** Values cachier keys: primitives, plain objects, arrays (with holes), Dates, Maps, Sets, typed arrays, BigInt. */
const keyable = fc.anything({
  maxDepth: 3,
  maxKeys: 5,
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withSparseArray: true,
});

describe('keys (property-based)', () => {
  test('equal arguments give equal keys: a structured clone, and an object built in another key order', () => {
    fc.assert(
      fc.property(keyable, (value) => {
        expect(keyOfArguments([structuredClone(value)])).toBe(keyOfArguments([value]));
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string(), keyable, { maxKeys: 8 }), (object) => {
        const reversed = Object.fromEntries(Object.entries(object).reverse());
        expect(keyOfArguments([reversed])).toBe(keyOfArguments([object]));
      }),
      RUNS,
    );
  });

  test('arguments that can be told apart never share a key', () => {
    fc.assert(
      fc.property(keyable, keyable, (a, b) => {
        if (keyOfArguments([a]) === keyOfArguments([b])) expect(isDeepStrictEqual(a, b)).toBe(true);
      }),
      RUNS,
    );
    // Small values collide semantically far more often than random pairs: bucket many of them by key.
    const small = fc.sample(fc.anything({ maxDepth: 1, maxKeys: 2, withSparseArray: true, withMap: true, withSet: true }), {
      numRuns: 5_000,
      seed: RUNS.seed,
    });
    const byKey = new Map<string, unknown>();
    for (const value of small) {
      const key = keyOfArguments([value]);
      if (byKey.has(key)) expect(isDeepStrictEqual(byKey.get(key), value)).toBe(true);
      else byKey.set(key, value);
    }
    expect(byKey.size).toBeGreaterThan(1_000);
  });

  test('another process computes the same key for each of 300 values', () => {
    const values = fc.sample(keyable, { numRuns: 300, seed: RUNS.seed });
    const file = join(freshPlace().sideFile);
    writeFileSync(file, serialize(values));
    const keysModule = new URL('../../../../dist/runtime/keys.js', import.meta.url).href;
    const script = `
      const { readFileSync } = await import('node:fs');
      const { deserialize } = await import('node:v8');
      const { keyOfArguments } = await import(${JSON.stringify(keysModule)});
      const values = deserialize(readFileSync(${JSON.stringify(file)}));
      process.stdout.write(JSON.stringify(values.map((value) => keyOfArguments([value]))));
    `;
    const theirs = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as string[];
    expect(theirs).toEqual(values.map((value) => keyOfArguments([value])));
  });
});

describe('entry decoding (property-based)', () => {
  const KEY = keyOfArguments(['ACME']);
  const SEAL = Buffer.from('a shared key of the team, 32 characters');

  test('any byte string is a miss, never a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2_048 }), fc.constantFrom('', 'CACHIER1', 'CACHIERH'), (bytes, prefix) => {
        const file = Buffer.concat([Buffer.from(prefix, 'latin1'), bytes]);
        expect(decodeEntry(file, KEY).ok).toBe(false);
        expect(decodeEntry(file, KEY, SEAL).ok).toBe(false);
      }),
      RUNS,
    );
  });

  test('any payload behind a valid checksum (a forger of the private format) decodes to a bounded value or a miss, never a throw', () => {
    const keyBytes = Buffer.from(KEY);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.boolean(), (payload, withV8Header) => {
        const body = withV8Header ? Buffer.concat([Buffer.from([0xff, 0x0f]), payload]) : Buffer.from(payload);
        const file = Buffer.alloc(22 + keyBytes.length + body.length);
        file.write('CACHIER1', 0, 'latin1');
        file.writeUInt16LE(keyBytes.length, 20);
        keyBytes.copy(file, 22);
        body.copy(file, 22 + keyBytes.length);
        file.writeUInt32LE(crc32(file.subarray(12)), 8);
        const decoded = decodeEntry(file, KEY);
        if (decoded.ok && Array.isArray(decoded.entry.value)) {
          expect(decoded.entry.value.length).toBeLessThanOrEqual(Math.max(file.length, MIN_ARRAY_LENGTH_BOUND));
        }
      }),
      RUNS,
    );
  });

  test('a written entry with any bytes changed, cut or added is the value written or a miss, in both formats', () => {
    const entries = fc.record({ value: keyable, computedAt: fc.integer({ min: 0, max: 2 ** 42 }) });
    const damage = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bits: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('add' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
    );
    fc.assert(
      fc.property(entries, damage, fc.boolean(), (entry, change, sealed) => {
        const seal = sealed ? SEAL : undefined;
        const written = encodeEntry(KEY, entry, undefined, seal);
        const damaged = Buffer.from(written);
        let bytes: Buffer = damaged;
        if (change.kind === 'flip') {
          const at = change.at % damaged.length;
          damaged.writeUInt8(damaged.readUInt8(at) ^ change.bits, at);
        }
        if (change.kind === 'cut') bytes = damaged.subarray(0, change.at % damaged.length);
        if (change.kind === 'add') bytes = Buffer.concat([damaged, change.bytes]);
        const decoded = decodeEntry(bytes, KEY, seal);
        expect(decoded.ok).toBe(false);
        const intact = decodeEntry(written, KEY, seal);
        expect(intact.ok && isDeepStrictEqual({ ...intact.entry }, { ...entry })).toBe(true);
      }),
      RUNS,
    );
  });
});
