import { describe, expect, test } from 'vitest';
import { TagProblem } from '../../../transformer/engine/problems.js';
import { checkTagOptions } from '../../../transformer/engine/tag-options.js';
import { parseTag, type RawTag } from '../../../transformer/engine/tag-parser.js';

/** The options of the tag in `comment` as `name=value` texts (`name` alone for a bare flag). */
function optionsOf(comment: string): string[] {
  const tag = parseTag(comment, 0);
  if (!tag) throw new Error('no tag');
  return tag.options.map((option) => (option.value === undefined ? option.name : `${option.name}=${option.value}`));
}

describe('@cachier tag parser', () => {
  test('reads name=value tokens and bare flags', () => {
    expect(optionsOf('/** @cachier staleAfter=3d nextTime backend=file */')).toEqual(['staleAfter=3d', 'nextTime', 'backend=file']);
  });

  test('reads a tag spread over several lines of a JSDoc block with other text and tags', () => {
    const comment = `/**
     * Fetches prices.
     *
     * @cachier staleAfter=3d
     *   waitForCalcTimeout=30s
     *   hash=keyOfSymbol
     * @param symbol - the ticker
     * @returns the prices
     */`;
    expect(optionsOf(comment)).toEqual(['staleAfter=3d', 'waitForCalcTimeout=30s', 'hash=keyOfSymbol']);
  });

  test('keeps spaces inside quoted values and drops the quotes', () => {
    expect(optionsOf(`/** @cachier id="prices v2" cacheDir='/tmp/my cache' */`)).toEqual(['id=prices v2', 'cacheDir=/tmp/my cache']);
  });

  test('answers undefined for comments without the tag, plain block comments, longer tag names and the tag quoted in backticks', () => {
    expect(parseTag('/** Fetches prices. @param x */', 0)).toBeUndefined();
    expect(parseTag('/* @cachier staleAfter=3d */', 0)).toBeUndefined();
    expect(parseTag('/** @cachiered */', 0)).toBeUndefined();
    expect(parseTag('/** Functions here use the `@cachier` tag. */', 0)).toBeUndefined();
  });

  test('a tag with no options is valid', () => {
    expect(optionsOf('/** @cachier */')).toEqual([]);
  });

  test('reports file offsets of each option name and value', () => {
    const tag = parseTag('/** @cachier staleAfter=3d */', 100);
    expect(tag?.start).toBe(104);
    expect(tag?.options[0]).toMatchObject({ start: 113, valueStart: 124, end: 126 });
  });

  test('rejects an unterminated quote and an empty value with their position', () => {
    expect(() => parseTag('/** @cachier id="open */', 0)).toThrow(TagProblem);
    expect(() => parseTag('/** @cachier staleAfter= */', 0)).toThrow(/"staleAfter=" has no value/);
  });
});

describe('@cachier tag options for failures (issue 22)', () => {
  const noBindings = { findBinding: () => undefined };
  const check = (comment: string) => checkTagOptions(parseTag(comment, 0) as RawTag, noBindings);

  test('grace, graceBackoff, timeout and hardTimeout take durations', () => {
    const options = check('/** @cachier staleAfter=1h grace=1d graceBackoff=30s timeout=2s hardTimeout=1m */');
    expect(options.map((option) => option.name)).toEqual(['staleAfter', 'grace', 'graceBackoff', 'timeout', 'hardTimeout']);
  });

  test('timeout and hardTimeout must be longer than 0ms; a bad duration names the option', () => {
    expect(() => check('/** @cachier timeout=0s */')).toThrow(/option "timeout" must be longer than 0ms/);
    expect(() => check('/** @cachier hardTimeout=0 */')).toThrow(/option "hardTimeout" must be longer than 0ms/);
    expect(() => check('/** @cachier grace=soon */')).toThrow(/option "grace" expects milliseconds or a duration/);
  });
});
