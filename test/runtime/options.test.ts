import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { cachier, CachierError, InvalidOptionError, resetDefaults, setDefaults, type CachierOptions } from '../../runtime/index.js';

const fn = (x: number): number => x;
const asyncFn = async (x: number): Promise<number> => x;

function optionError(options: unknown, wrapped: (x: number) => unknown = fn): InvalidOptionError {
  try {
    cachier(wrapped, options as CachierOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toBeInstanceOf(CachierError);
    return error as InvalidOptionError;
  }
  throw new Error('expected cachier() to throw');
}

describe('option validation at wrap time', () => {
  test('an unknown option is named, with the closest known name', () => {
    const error = optionError({ stale_after: '1d' });
    expect(error.option).toBe('stale_after');
    expect(error.message).toMatch(/"stale_after": is not an option of cachier\(\) options; did you mean "staleAfter"\?/);
  });

  test('an unknown option far from every name lists the known ones', () => {
    expect(optionError({ colour: 'red' }).message).toMatch(/Known options: staleAfter, nextTime, backend/);
  });

  test.each<[string, unknown, RegExp]>([
    ['staleAfter', 'soon', /"staleAfter": "soon" is not a duration/],
    ['staleAfter', -5, /"staleAfter": "-5" is not a duration/],
    ['staleAfter', true, /expected milliseconds or a duration/],
    ['waitForCalcTimeout', '3 days', /"waitForCalcTimeout": "3 days" is not a duration/],
    ['lease', 0, /"lease": must be longer than 0ms/],
    ['backendTimeout', 0, /"backendTimeout": must be longer than 0ms/],
    ['backendTimeout', 'soon', /"backendTimeout": "soon" is not a duration/],
    ['nextTime', 'yes', /"nextTime": expected true or false, got "yes"/],
    ['allowUndefined', 1, /"allowUndefined": expected true or false, got 1/],
    ['reload', null, /"reload": expected true or false, got null/],
    ['separateFiles', 'no', /"separateFiles": expected true or false/],
    ['strict', {}, /"strict": expected true or false, got an object/],
    ['backend', 'cassandra', /"backend": expected one of 'memory', 'file', 'mongo', 'redis', 'postgres', 's3', got "cassandra"/],
    ['cacheDir', '', /"cacheDir": expected a non-empty string/],
    ['id', 42, /"id": expected a non-empty string, got 42/],
    ['sourceHash', [], /"sourceHash": expected a non-empty string, got an array/],
    ['hash', 'sha1', /"hash": expected a function, got "sha1"/],
    ['mongetter', {}, /"mongetter": expected a function/],
    ['entrySizeLimit', '10 parsecs', /"entrySizeLimit": expected a positive number of bytes or a size such as 64KB/],
    ['entrySizeLimit', -1, /"entrySizeLimit": expected a positive number of bytes/],
  ])('%s = %j is rejected', (option, value, message) => {
    const error = optionError({ [option]: value });
    expect(error.option).toBe(option);
    expect(error.message).toMatch(message);
  });

  test.each(['cacheDir', 'reload', 'separateFiles'])('%s with a non-file backend is a conflict', (option) => {
    const value = option === 'cacheDir' ? '/tmp/x' : true;
    expect(optionError({ backend: 'memory', [option]: value }).message).toMatch(
      /applies to the file backend only, but backend is 'memory'/,
    );
  });

  test('mongetter with a non-mongo backend is a conflict', () => {
    expect(optionError({ backend: 'file', mongetter: () => null }).message).toMatch(/mongetter.*applies to the mongo backend only/);
  });

  test('the mongo backend refuses a sync function at wrap time', () => {
    expect(optionError({ backend: 'mongo', mongetter: () => null }).message).toMatch(
      /'mongo' serves async functions only.*declare fn async/,
    );
  });

  test('a sync function under a global mongo default fails at its first call, naming the backend', () => {
    setDefaults({ backend: 'mongo', mongetter: () => null as never });
    try {
      const cached = cachier(fn);
      expect(() => cached(1)).toThrow(InvalidOptionError);
      expect(() => cached(1)).toThrow(/"backend": 'mongo' serves async functions only, and \S+#fn is not declared async/);
    } finally {
      resetDefaults();
    }
  });

  test('the mongo backend without a mongetter fails at the first call, naming the option', async () => {
    const cached = cachier(asyncFn, { backend: 'mongo' });
    await expect(cached(1)).rejects.toThrow(
      /"mongetter": backend 'mongo' needs the mongetter option: a function returning the MongoDB collection.*\(npm install mongodb\)/,
    );
  });

  test('options must be an object', () => {
    expect(() => cachier(fn, 'fast' as never)).toThrow(/cachier\(\) options must be an object, got "fast"/);
  });

  test('the thing wrapped must be a function', () => {
    expect(() => cachier(42 as never)).toThrow(/expected a function to wrap, got number/);
  });

  test('a generator function cannot be cached', () => {
    expect(() => cachier(function* numbers() {})).toThrow(/numbers is a generator/);
  });

  test('valid options of every kind are accepted and take effect', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'cachier-options-'));
    const add = cachier(async (x: number, y: number) => x + y, {
      staleAfter: '1h30m',
      nextTime: true,
      backend: 'file',
      cacheDir,
      reload: false,
      separateFiles: true,
      waitForCalcTimeout: 5000,
      allowUndefined: true,
      // Keyed on the first argument only, so a second call with another y is a hit.
      hash: ([x]) => x,
      entrySizeLimit: '10MB',
      lease: '10s',
      backendTimeout: '500ms',
      strict: true,
      id: 'my-id',
      sourceHash: 'abc',
    });
    expect(await add(1, 2)).toBe(3);
    expect(await add(1, 5)).toBe(3);
    expect(await add.cacheInfo()).toMatchObject({ id: 'my-id', sourceHash: 'abc', backend: 'file', entries: 1, hits: 1, misses: 1 });
    expect(readdirSync(cacheDir).length).toBeGreaterThan(0);
  });
});
