import { nodeCrypto } from './node-builtins.js';
import { UnkeyableArgumentError, UnkeyableThisError } from './errors.js';

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
  startEncoding();
  try {
    return encode(value, 0, undefined);
  } catch (error) {
    return recover(error, value, path);
  }
}

/**
 * Why a value cannot be keyed, and where: the containers it sits in add their
 * segment (`.name`, `[3]`, `<Map entry 0>`) as it passes them on its way out,
 * so an encoding that succeeds never spends anything on paths.
 */
class KeyProblem {
  /** Innermost first. */
  readonly segments: string[] = [];

  /**
   * @param problem - what is wrong, e.g. `is an instance of Order, which cachier cannot compare by value`.
   * @param fix - how to make such a value keyable, when there is a way: `give Order a [cachierKey]() method`.
   */
  constructor(
    readonly problem: string,
    readonly fix?: string,
  ) {}
}

/**
 * Thrown when an encoding nests deeper than {@link UNTRACKED_DEPTH}: the value
 * is encoded again from the top, this time remembering its ancestors, so a
 * cycle is named where it first closes.
 */
const TOO_DEEP = Symbol('too deep');

/**
 * How deep an encoding goes before it looks for cycles. Keys are shallow in
 * practice, and below this depth a cycle costs nothing to look for: it only
 * shows as running deeper.
 */
const UNTRACKED_DEPTH = 64;

/** Adds `segment` to the path of a {@link KeyProblem} passing through; any other error passes unchanged. */
function within(error: unknown, segment: string): unknown {
  if (error instanceof KeyProblem) error.segments.push(segment);
  return error;
}

/**
 * Finishes an encoding of `value` (named `path`) that threw `error`: encodes
 * it again tracking cycles if it went too deep, or throws the
 * {@link UnkeyableArgumentError} it ran into. Errors of a `[cachierKey]()`
 * method are thrown as they are.
 */
function recover(error: unknown, value: unknown, path: string, unkeyable: Unkeyable = argumentError): string {
  let problem = error;
  if (error === TOO_DEEP) {
    try {
      return encode(value, 0, []);
    } catch (tracked) {
      problem = tracked;
    }
  }
  if (!(problem instanceof KeyProblem)) throw problem;
  throw unkeyable(path + problem.segments.reverse().join(''), problem);
}

/** Makes the error thrown for a value that cannot be keyed, from where it sits and what is wrong with it. */
type Unkeyable = (path: string, problem: KeyProblem) => Error;

const argumentError: Unkeyable = (path, problem) => new UnkeyableArgumentError(path, withFix(problem));

/** The problem and its fix, as one clause. */
function withFix({ problem, fix }: KeyProblem): string {
  return fix === undefined ? problem : `${problem}; ${fix}`;
}

/** `s<length>:` for short strings, the most common prefix of all. */
const STRING_PREFIXES = Array.from({ length: 64 }, (_, length) => `s${length}:`);
/** `a<length>[` for short arrays. */
const ARRAY_OPENINGS = Array.from({ length: 64 }, (_, length) => `a${length}[`);

/** `a<length>[`, the opening of an array's encoding. */
function arrayOpening(length: number): string {
  return length < 64 ? (ARRAY_OPENINGS[length] as string) : `a${length}[`;
}
/** The encodings of the integers 0 to 1023, which make up most numeric arguments. */
const SMALL_INTEGERS = Array.from({ length: 1024 }, (_, integer) => `d${integer};`);

/**
 * Encodes `value`, `depth` containers down. `ancestors`, once an encoding
 * went too deep (see {@link TOO_DEEP}), are the containers around the value.
 * Tests `typeof` one type at a time: a `switch` on it costs a call per value.
 */
function encode(value: unknown, depth: number, ancestors: object[] | undefined): string {
  if (typeof value === 'string') return value.length < 64 ? (STRING_PREFIXES[value.length] as string) + value : `s${value.length}:${value}`;
  if (typeof value === 'number') {
    // `-0 >>> 0` is 0, hence the test of 1 / value.
    if (value >>> 0 === value && value < 1024 && (value !== 0 || 1 / value > 0)) return SMALL_INTEGERS[value] as string;
    return encodeNumber(value);
  }
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (value === undefined) return 'u';
  if (value === null) return 'n';
  if (typeof value !== 'object') return encodeOtherPrimitive(value);
  if (ancestors === undefined) {
    if (depth >= UNTRACKED_DEPTH) throw TOO_DEEP;
    return encodeObject(value, depth + 1, undefined);
  }
  // Nesting is shallow in practice, so a list beats a Set here.
  if (ancestors.includes(value)) throw new KeyProblem('contains a cycle (it refers back to itself)');
  ancestors.push(value);
  const encoded = encodeObject(value, depth + 1, ancestors);
  ancestors.pop();
  return encoded;
}

/**
 * Encodings of the numbers seen lately, in slots picked from the number
 * itself: V8 formats a fractional number anew each time (its own cache keeps
 * integers), which costs more than a look in an array.
 */
const NUMBER_SLOTS = 1024;
const slotNumbers = new Float64Array(NUMBER_SLOTS);
const slotEncodings = new Array<string>(NUMBER_SLOTS).fill('');

function encodeNumber(value: number): string {
  if (Object.is(value, -0)) return 'd-0;';
  // Any slot does; multiplying spreads fractions with few decimals over the slots.
  const slot = (value * 1031) & (NUMBER_SLOTS - 1);
  if (slotNumbers[slot] === value && slotEncodings[slot] !== '') return slotEncodings[slot] as string;
  const encoded = `d${value};`;
  slotNumbers[slot] = value;
  slotEncodings[slot] = encoded;
  return encoded;
}

/** Bigints; symbols and functions, which cannot be keyed. */
function encodeOtherPrimitive(value: unknown): string {
  if (typeof value === 'bigint') return `b${value};`;
  if (typeof value === 'symbol') throw new KeyProblem('is a symbol, which has no stable identity across processes');
  throw new KeyProblem('is a function, which cannot be compared by value');
}

function encodeObject(object: object, depth: number, ancestors: object[] | undefined): string {
  if (Array.isArray(object)) return encodeArray(object, depth, ancestors);
  const proto = Object.getPrototypeOf(object) as object | null;
  if (proto === Object.prototype || proto === null) return encodePlainObject(object as Record<string, unknown>, depth, ancestors);
  if (typeof (object as Partial<KeyMethodHolder>)[cachierKey] === 'function') {
    try {
      return `k${encode((object as KeyMethodHolder)[cachierKey](), depth, ancestors)}`;
    } catch (error) {
      throw within(error, '[cachierKey]()');
    }
  }
  if (object instanceof Date) return `D${object.getTime()};`;
  if (Buffer.isBuffer(object)) return `B${object.toString('base64')};`;
  if (ArrayBuffer.isView(object)) return encodeBinaryView(object);
  if (object instanceof ArrayBuffer) return `A${Buffer.from(object).toString('base64')};`;
  if (object instanceof Map) return encodeMap(object, depth, ancestors);
  if (object instanceof Set) return encodeSet(object, depth, ancestors);
  if (object instanceof RegExp) return `r${encode(object.source, depth, ancestors)}${object.flags};`;
  const name = (object.constructor as { name?: string } | undefined)?.name || 'anonymous class';
  throw new KeyProblem(`is an instance of ${name}, which cachier cannot compare by value`, `give ${name} a [cachierKey]() method`);
}

function encodeArray(array: readonly unknown[], depth: number, ancestors: object[] | undefined): string {
  const length = array.length;
  let out = arrayOpening(length);
  let i = 0;
  try {
    for (; i < length; i++) {
      const item = array[i];
      out += item === undefined && !(i in array) ? 'h' : encode(item, depth, ancestors);
    }
  } catch (error) {
    throw within(error, `[${i}]`);
  }
  return `${out}]`;
}

function encodePlainObject(object: Record<string, unknown>, depth: number, ancestors: object[] | undefined): string {
  if (Object.getOwnPropertySymbols(object).length > 0) throw new KeyProblem('has symbol-keyed properties, which cannot be keyed');
  return (forInListsOwnKeys ? encodeKnownLayout(object, depth, ancestors) : undefined) ?? encodeAnyLayout(object, depth, ancestors);
}

/**
 * Whether `for...in` lists an object's own keys only, as `Object.keys` does:
 * true unless someone gave `Object.prototype` enumerable properties. Checked
 * at the start of each encoding, by {@link startEncoding}.
 */
let forInListsOwnKeys = true;
const EMPTY_OBJECT = {};

/** Readies the encoder for a new key. */
function startEncoding(): void {
  forInListsOwnKeys = !hasEnumerableKeys(EMPTY_OBJECT);
}

/** Whether `for...in` lists anything for `object`, own or inherited. */
function hasEnumerableKeys(object: object): boolean {
  for (const _key in object) return true;
  return false;
}

/**
 * Encodes an object whose keys are those of the layout used last, in the
 * same order (the rows of a list), reading them with `for...in`, which makes
 * no array of keys or values; answers `undefined` for any other object.
 */
function encodeKnownLayout(object: Record<string, unknown>, depth: number, ancestors: object[] | undefined): string | undefined {
  const known = lastLayout;
  if (known === undefined) return undefined;
  const { given, rank } = known;
  const parts = new Array<string>(given.length);
  let count = 0;
  for (const key in object) {
    if (given[count] !== key) return undefined;
    try {
      parts[rank[count] as number] = encode(object[key], depth, ancestors);
    } catch (error) {
      throw within(error, `.${key}`);
    }
    count++;
  }
  if (count !== given.length) return undefined;
  const prefixes = known.prefixes;
  let out = known.opening;
  for (let i = 0; i < count; i++) out += (prefixes[i] as string) + (parts[i] as string);
  return `${out}}`;
}

/** Encodes any plain object, and remembers the layout of its keys. */
function encodeAnyLayout(object: Record<string, unknown>, depth: number, ancestors: object[] | undefined): string {
  const keys = Object.keys(object);
  if (keys.length === 0) return 'o0{}';
  const { sorted, order, prefixes, opening } = layoutOf(keys);
  // One call reads every value, in the order of `keys`, cheaper than a lookup by name each.
  const values = Object.values(object);
  let out = opening;
  let i = 0;
  try {
    for (; i < sorted.length; i++) out += (prefixes[i] as string) + encode(values[order[i] as number], depth, ancestors);
  } catch (error) {
    throw within(error, `.${sorted[i]}`);
  }
  return `${out}}`;
}

/** The sorted keys of an object and their encodings, ready to be written. */
interface KeyLayout {
  /** The keys in the order `Object.keys` gave them. */
  readonly given: readonly string[];
  readonly sorted: readonly string[];
  /** Where each sorted key sits in {@link given}. */
  readonly order: readonly number[];
  /** Where each key of {@link given} sits in {@link sorted}. */
  readonly rank: readonly number[];
  /** `s<length>:<key>` of each sorted key. */
  readonly prefixes: readonly string[];
  /** `o<count>{`. */
  readonly opening: string;
}

/**
 * Layouts of the key lists seen lately, by first key: arguments are mostly
 * objects of a few shapes, often many of one (the rows of a list), so
 * comparing a key list with a known one costs a few pointer comparisons
 * where sorting it again costs string comparisons.
 */
const layouts = new Map<string, KeyLayout>();
/** The layout used last, tried first: the rows of a list share one. */
let lastLayout: KeyLayout | undefined;
/** Key lists longer than this are sorted every time rather than remembered. */
const REMEMBERED_KEYS = 64;
const REMEMBERED_LAYOUTS = 1024;

function layoutOf(keys: string[]): KeyLayout {
  if (lastLayout !== undefined && sameKeys(lastLayout.given, keys)) return lastLayout;
  const known = layouts.get(keys[0] as string);
  if (known !== undefined && sameKeys(known.given, keys)) {
    lastLayout = known;
    return known;
  }
  const order = sortedOrder(keys);
  const sorted = order.map((index) => keys[index] as string);
  const rank: number[] = [];
  order.forEach((given, position) => {
    rank[given] = position;
  });
  const layout: KeyLayout = {
    given: keys,
    sorted,
    order,
    rank,
    prefixes: sorted.map((key) => `s${key.length}:${key}`),
    opening: `o${keys.length}{`,
  };
  if (keys.length > REMEMBERED_KEYS) return layout;
  if (layouts.size >= REMEMBERED_LAYOUTS) layouts.clear();
  layouts.set(keys[0] as string, layout);
  lastLayout = layout;
  return layout;
}

/** Whether two key lists are equal; property names are interned, so this compares pointers. */
function sameKeys(known: readonly string[], keys: readonly string[]): boolean {
  if (known.length !== keys.length) return false;
  for (let i = 0; i < keys.length; i++) if (known[i] !== keys[i]) return false;
  return true;
}

/**
 * The positions of `strings` in sorted order, by UTF-16 code units (the order
 * of the default `Array.prototype.sort`). Lists are short, and for short
 * lists an insertion sort is several times faster than the native sort's
 * generic path.
 */
function sortedOrder(strings: readonly string[]): number[] {
  const order = strings.map((_, index) => index);
  if (strings.length > 16) {
    return order.sort((a, b) => {
      const first = strings[a] as string;
      const second = strings[b] as string;
      return first < second ? -1 : first > second ? 1 : 0;
    });
  }
  for (let i = 1; i < order.length; i++) {
    const current = order[i] as number;
    const text = strings[current] as string;
    let j = i - 1;
    while (j >= 0 && (strings[order[j] as number] as string) > text) {
      order[j + 1] = order[j] as number;
      j--;
    }
    order[j + 1] = current;
  }
  return order;
}

/** The encodings of a Map's entries or a Set's members, in sorted order, as one string. */
function sortedJoin(encodings: readonly string[]): string {
  return sortedOrder(encodings)
    .map((index) => encodings[index] as string)
    .join('');
}

function encodeBinaryView(view: ArrayBufferView): string {
  const bytes = Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('base64');
  if (Object.getPrototypeOf(Object.getPrototypeOf(view)) === TYPED_ARRAY_PROTO || view instanceof DataView) {
    return `T${view.constructor.name}:${bytes};`;
  }
  throw new KeyProblem(`is an instance of ${view.constructor.name}`, 'give it a [cachierKey]() method');
}

function encodeMap(map: Map<unknown, unknown>, depth: number, ancestors: object[] | undefined): string {
  const entries: string[] = [];
  for (const [key, entryValue] of map) {
    try {
      entries.push(encode(key, depth, ancestors) + encode(entryValue, depth, ancestors));
    } catch (error) {
      throw within(error, `<Map entry ${entries.length}>`);
    }
  }
  return `M${entries.length}{${sortedJoin(entries)}}`;
}

function encodeSet(set: Set<unknown>, depth: number, ancestors: object[] | undefined): string {
  const members: string[] = [];
  for (const member of set) {
    try {
      members.push(encode(member, depth, ancestors));
    } catch (error) {
      throw within(error, `<Set member ${members.length}>`);
    }
  }
  return `S${members.length}{${sortedJoin(members)}}`;
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
  startEncoding();
  let encoded = arrayOpening(significant.length);
  for (let i = 0; i < significant.length; i++) {
    try {
      encoded += encode(significant[i], 0, undefined);
    } catch (error) {
      encoded += recover(error, significant[i], `argument ${i + 1}`);
    }
  }
  return `${encoded}]`;
}

/**
 * The canonical encoding of a method call: `this` (see {@link canonicalEncode})
 * and then the arguments (see {@link canonicalArguments}). It starts with `R`,
 * which no encoding of arguments alone starts with, so a method's keys never
 * meet those of a call without `this`.
 *
 * @param method - the function's name, for the error.
 * @throws {@link UnkeyableThisError} when `this` cannot be keyed, naming its class and the method.
 */
export function canonicalMethodCall(thisArg: unknown, args: readonly unknown[], method: string): string {
  startEncoding();
  let receiver: string;
  try {
    receiver = encode(thisArg, 0, undefined);
  } catch (error) {
    // The error advises a key method for the class of `this` itself, beside the other fixes.
    receiver = recover(
      error,
      thisArg,
      'this',
      (path, problem) =>
        new UnkeyableThisError(methodLabel(thisArg, method), path, path === 'this' ? problem.problem : withFix(problem), classOf(thisArg)),
    );
  }
  return `R${receiver}${canonicalArguments(args)}`;
}

/** The name of the class of `value`, or `undefined` for a plain object or a primitive. */
function classOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === Object.prototype || proto === null) return undefined;
  return (value.constructor as { name?: string } | undefined)?.name || 'anonymous class';
}

/** `Shop.price()`, or `price()` on a plain object. */
function methodLabel(thisArg: unknown, method: string): string {
  const className = classOf(thisArg);
  const name = `${method || '<anonymous>'}()`;
  return className === undefined ? name : `${className}.${name}`;
}

/** The canonical encoding of the value a custom `hash` option returned. */
export function canonicalHashResult(result: unknown): string {
  return canonicalEncode(result, 'the value returned by the hash option');
}

/**
 * A canonical encoding as a key for a `Map`. The encoder builds it by
 * appending, so V8 holds it as a tree of pieces; Node 20's V8 hashes such a
 * tree several times slower than a flat string (1 KB of key: about 1.5 µs
 * more), and reading a character makes it flatten the tree first. Later V8s
 * flatten before hashing anyway, and this costs them nothing.
 */
export function flatKey(canonical: string): string {
  canonical.charCodeAt(0);
  return canonical;
}

/** A fixed-size key for storage: SHA-256 of a canonical encoding, base64url, 43 characters. */
export function digestKey(canonical: string): string {
  return nodeCrypto().hash('sha256', canonical, 'base64url');
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
