import { hash } from 'node:crypto';
import { UnkeyableArgumentError } from './errors.js';

/**
 * Give a class a method under this symbol to make its instances usable as
 * arguments of cached functions. It returns any keyable value; two instances
 * with equal results share a cache entry.
 *
 * @example
 * ```ts
 * class Point {
 *   constructor(readonly x: number, readonly y: number) {}
 *   [cachierKey]() { return [this.x, this.y]; }
 * }
 * ```
 */
export const cachierKey: unique symbol = Symbol.for('cachier.key') as typeof cachierKey;

interface KeyMethodHolder {
  [cachierKey](): unknown;
}

const TYPED_ARRAY_PROTO = Object.getPrototypeOf(Uint8Array.prototype) as object;

/**
 * Encodes a value canonically: every value is tagged with its type (so `1` and
 * `'1'` differ), strings are length-prefixed (so no separator can be forged),
 * object keys and Map/Set members are sorted (so insertion order does not
 * matter). The result is the same in every process and on every machine.
 *
 * @param path - names the value in error messages, e.g. `argument 1`.
 * @throws {@link UnkeyableArgumentError} for functions, symbols, class
 *   instances without a {@link cachierKey} method, and cycles.
 */
export function canonicalEncode(value: unknown, path: string): string {
  return encode(value, [{ label: path }], []);
}

/** A path segment written as it is, such as `argument 1` or `<Map entry 0>`. */
interface Label {
  readonly label: string;
}

/**
 * Where a value sits: property names, array indexes and labels, formatted
 * only when an error needs them, since formatting them for every value would
 * cost more than encoding it.
 */
type Path = Array<string | number | Label>;

const KEY_METHOD_SEGMENT: Label = { label: '[cachierKey]()' };

function formatPath(path: Path): string {
  return path
    .map((segment) => (typeof segment === 'number' ? `[${segment}]` : typeof segment === 'string' ? `.${segment}` : segment.label))
    .join('');
}

function unkeyable(path: Path, problem: string): UnkeyableArgumentError {
  return new UnkeyableArgumentError(formatPath(path), problem);
}

/** Encodes `value` with `segment` appended to the path for the time it takes. */
function encodeAt(value: unknown, path: Path, segment: string | number | Label, ancestors: object[]): string {
  path.push(segment);
  const encoded = encode(value, path, ancestors);
  path.pop();
  return encoded;
}

function encode(value: unknown, path: Path, ancestors: object[]): string {
  switch (typeof value) {
    case 'string':
      return `s${value.length}:${value}`;
    case 'number':
      return value === 0 && 1 / value < 0 ? 'd-0;' : `d${value};`;
    case 'boolean':
      return value ? 't' : 'f';
    case 'undefined':
      return 'u';
    case 'bigint':
      return `b${value};`;
    case 'symbol':
      throw unkeyable(path, 'is a symbol, which has no stable identity across processes');
    case 'function':
      throw unkeyable(path, 'is a function, which cannot be compared by value');
  }
  if (value === null) return 'n';
  const object = value as object;
  // Nesting is shallow in practice, so a list beats a Set here.
  if (ancestors.includes(object)) throw unkeyable(path, 'contains a cycle (it refers back to itself)');
  ancestors.push(object);
  const encoded = encodeObject(object, path, ancestors);
  ancestors.pop();
  return encoded;
}

function encodeObject(object: object, path: Path, ancestors: object[]): string {
  if (Array.isArray(object)) {
    let out = `a${object.length}[`;
    for (let i = 0; i < object.length; i++) {
      out += i in object ? encodeAt(object[i], path, i, ancestors) : 'h';
    }
    return `${out}]`;
  }
  const proto = Object.getPrototypeOf(object) as object | null;
  if (proto === Object.prototype || proto === null) return encodePlainObject(object, path, ancestors);
  if (typeof (object as Partial<KeyMethodHolder>)[cachierKey] === 'function') {
    return `k${encodeAt((object as KeyMethodHolder)[cachierKey](), path, KEY_METHOD_SEGMENT, ancestors)}`;
  }
  if (object instanceof Date) return `D${object.getTime()};`;
  if (Buffer.isBuffer(object)) return `B${object.toString('base64')};`;
  if (ArrayBuffer.isView(object)) return encodeBinaryView(object, path);
  if (object instanceof ArrayBuffer) return `A${Buffer.from(object).toString('base64')};`;
  if (object instanceof Map) return encodeMap(object, path, ancestors);
  if (object instanceof Set) return encodeSet(object, path, ancestors);
  if (object instanceof RegExp) return `r${encode(object.source, path, ancestors)}${object.flags};`;
  const name = (object.constructor as { name?: string } | undefined)?.name || 'anonymous class';
  throw unkeyable(
    path,
    `is an instance of ${name}, which cachier cannot compare by value; give ${name} a [cachierKey]() method`,
  );
}

function encodePlainObject(object: object, path: Path, ancestors: object[]): string {
  if (Object.getOwnPropertySymbols(object).length > 0) {
    throw unkeyable(path, 'has symbol-keyed properties, which cannot be keyed');
  }
  const keys = sortStrings(Object.keys(object));
  let out = `o${keys.length}{`;
  for (const key of keys) {
    out += `s${key.length}:${key}${encodeAt((object as Record<string, unknown>)[key], path, key, ancestors)}`;
  }
  return `${out}}`;
}

/**
 * Sorts strings in place by UTF-16 code units, the order of the default
 * `Array.prototype.sort`. Objects have few keys, and for short lists an
 * insertion sort is several times faster than the native sort's generic path.
 */
function sortStrings(strings: string[]): string[] {
  if (strings.length > 16) return strings.sort();
  for (let i = 1; i < strings.length; i++) {
    const current = strings[i] as string;
    let j = i - 1;
    while (j >= 0 && (strings[j] as string) > current) {
      strings[j + 1] = strings[j] as string;
      j--;
    }
    strings[j + 1] = current;
  }
  return strings;
}

function encodeBinaryView(view: ArrayBufferView, path: Path): string {
  const bytes = Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('base64');
  if (Object.getPrototypeOf(Object.getPrototypeOf(view)) === TYPED_ARRAY_PROTO || view instanceof DataView) {
    return `T${view.constructor.name}:${bytes};`;
  }
  throw unkeyable(path, `is an instance of ${view.constructor.name}; give it a [cachierKey]() method`);
}

function encodeMap(map: Map<unknown, unknown>, path: Path, ancestors: object[]): string {
  const entries: string[] = [];
  let index = 0;
  for (const [key, entryValue] of map) {
    const segment: Label = { label: `<Map entry ${index++}>` };
    entries.push(encodeAt(key, path, segment, ancestors) + encodeAt(entryValue, path, segment, ancestors));
  }
  return `M${entries.length}{${sortStrings(entries).join('')}}`;
}

function encodeSet(set: Set<unknown>, path: Path, ancestors: object[]): string {
  const members: string[] = [];
  let index = 0;
  for (const member of set) members.push(encodeAt(member, path, { label: `<Set member ${index++}>` }, ancestors));
  return `S${members.length}{${sortStrings(members).join('')}}`;
}

/**
 * Drops trailing `undefined` arguments: `f()` and `f(undefined)` get the same
 * key. Default parameter values are not applied: `f()` and `f(defaultValue)`
 * are different keys (both compute the same value, stored once each).
 */
function significantArguments(args: readonly unknown[]): readonly unknown[] {
  let end = args.length;
  while (end > 0 && args[end - 1] === undefined) end--;
  return end === args.length ? args : args.slice(0, end);
}

/**
 * The canonical encoding of a call's arguments (see {@link canonicalEncode}),
 * naming the argument (1-based) that cannot be keyed.
 */
export function canonicalArguments(args: readonly unknown[]): string {
  const significant = significantArguments(args);
  let encoded = `a${significant.length}[`;
  for (let i = 0; i < significant.length; i++) encoded += encode(significant[i], [{ label: `argument ${i + 1}` }], []);
  return `${encoded}]`;
}

/** The canonical encoding of the value a custom `hash` option returned. */
export function canonicalHashResult(result: unknown): string {
  return canonicalEncode(result, 'the value returned by the hash option');
}

/** A fixed-size key for storage: SHA-256 of a canonical encoding, base64url, 43 characters. */
export function digestKey(canonical: string): string {
  return hash('sha256', canonical, 'base64url');
}

/**
 * The cache key of a call as persistent backends store it: the digest of its
 * canonical arguments. Stable across processes, machines and Node versions;
 * never based on object identity.
 *
 * @throws {@link UnkeyableArgumentError} naming the argument that cannot be keyed.
 */
export function keyOfArguments(args: readonly unknown[]): string {
  return digestKey(canonicalArguments(args));
}
