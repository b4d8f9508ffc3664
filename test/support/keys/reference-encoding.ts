/**
 * The key format written the plain way, one rule per type and nothing
 * remembered between calls: the oracle the fast encoder of `runtime/keys.ts`
 * must match byte for byte, so a change of format (which would orphan every
 * stored entry) cannot slip in with an optimisation. Unkeyable values throw a
 * plain Error; only the encoding of keyable ones is compared.
 */
export function referenceArguments(args: readonly unknown[]): string {
  let end = args.length;
  while (end > 0 && args[end - 1] === undefined) end--;
  return `a${end}[${args
    .slice(0, end)
    .map((arg) => referenceEncode(arg))
    .join('')}]`;
}

const byCodeUnits = (strings: string[]): string[] => strings.sort();

export function referenceEncode(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return `s${value.length}:${value}`;
    case 'number':
      return Object.is(value, -0) ? 'd-0;' : `d${value};`;
    case 'boolean':
      return value ? 't' : 'f';
    case 'undefined':
      return 'u';
    case 'bigint':
      return `b${value};`;
    case 'symbol':
    case 'function':
      throw new Error(`unkeyable ${typeof value}`);
  }
  if (value === null) return 'n';
  return referenceObject(value as object);
}

function referenceObject(value: object): string {
  if (Array.isArray(value)) {
    return `a${value.length}[${Array.from({ length: value.length }, (_, i) => (i in value ? referenceEncode(value[i]) : 'h')).join('')}]`;
  }
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === Object.prototype || proto === null) {
    if (Object.getOwnPropertySymbols(value).length > 0) throw new Error('unkeyable symbol-keyed property');
    const keys = byCodeUnits(Object.keys(value));
    return `o${keys.length}{${keys.map((key) => `s${key.length}:${key}${referenceEncode((value as Record<string, unknown>)[key])}`).join('')}}`;
  }
  if (value instanceof Date) return `D${value.getTime()};`;
  if (Buffer.isBuffer(value)) return `B${value.toString('base64')};`;
  if (ArrayBuffer.isView(value))
    return `T${value.constructor.name}:${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')};`;
  if (value instanceof ArrayBuffer) return `A${Buffer.from(value).toString('base64')};`;
  if (value instanceof Map) {
    return `M${value.size}{${byCodeUnits([...value].map(([key, entry]) => referenceEncode(key) + referenceEncode(entry))).join('')}}`;
  }
  if (value instanceof Set) return `S${value.size}{${byCodeUnits([...value].map((member) => referenceEncode(member))).join('')}}`;
  if (value instanceof RegExp) return `r${referenceEncode(value.source)}${value.flags};`;
  throw new Error('unkeyable instance');
}
