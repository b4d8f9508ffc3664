import { createHash } from 'node:crypto';
import type { SyntaxNode } from './parser.js';

/** Fields that hold where code is or how it was spelled, not what it does: quote style, number spelling, escapes. */
const SPELLING = new Set(['start', 'end', 'range', 'loc', 'parent', 'raw', 'type']);

/**
 * A hash of a function's code that ignores everything a formatter or a
 * comment edit can change: whitespace, line endings, comments, semicolons,
 * trailing commas, quote style, number spelling, redundant parentheses and
 * `export` modifiers. Any other change (a name, an operator, a literal, a
 * type) changes it.
 *
 * It walks the ESTree the native parser answers (parentheses are not nodes,
 * `export` wraps the declaration), feeding each node's type and its fields in
 * name order, with literals by value. Fields left at their empty value (`null`,
 * `false`, `[]`) are skipped, so a parser release that adds a field with a
 * default does not change every hash.
 */
export function sourceHashOf(node: SyntaxNode): string {
  const parts: string[] = [];
  walk(node, parts);
  // Each part followed by a NUL, hashed in one update: the bytes (and so the digest) of an update per part, at a fraction of the calls.
  return createHash('sha256')
    .update(`${parts.join('\u0000')}\u0000`)
    .digest('base64url')
    .slice(0, 16);
}

function walk(value: unknown, parts: string[]): void {
  if (Array.isArray(value)) {
    parts.push('[');
    for (const item of value) {
      if (item === null || item === undefined) parts.push('null');
      else walk(item, parts);
    }
    parts.push(']');
  } else if (typeof value === 'object' && value !== null) {
    walkRecord(value as Record<string, unknown>, parts);
  } else if (typeof value === 'string') {
    parts.push(JSON.stringify(value));
  } else if (typeof value === 'bigint') {
    parts.push(`${value}n`);
  } else {
    parts.push(String(value));
  }
}

function walkRecord(record: Record<string, unknown>, parts: string[]): void {
  const type = typeof record.type === 'string' ? record.type : '';
  parts.push(`(${type}`);
  // A regular expression's or a bigint's value is an object the parser built; its pattern and digits say the same.
  const valueSpelledElsewhere = (record.regex ?? record.bigint) !== undefined && (record.regex ?? record.bigint) !== null;
  for (const key of hashedFieldsOf(record, type)) {
    if (key === 'value' && valueSpelledElsewhere) continue;
    const field = record[key];
    if (field === null || field === undefined || field === false || (Array.isArray(field) && field.length === 0)) continue;
    parts.push(key);
    walk(field, parts);
  }
  parts.push(')');
}

/** Per node type, the fields of the first node of that type seen: all of them, and those hashed, in name order. */
const fieldsByType = new Map<string, { readonly all: readonly string[]; readonly hashed: readonly string[] }>();

/**
 * The fields of `record` that the hash feeds, in name order. Nodes of one
 * type nearly always have the same fields, so their sorted list is made once
 * per type (sorting every node's keys was a third of the hash's time); a
 * node whose fields differ from its type's list gets its own.
 */
function hashedFieldsOf(record: Record<string, unknown>, type: string): readonly string[] {
  const known = fieldsByType.get(type);
  if (known && hasExactly(record, known.all)) return known.hashed;
  const all = Object.keys(record).sort();
  const hashed = all.filter((key) => !SPELLING.has(key));
  if (!known) fieldsByType.set(type, { all, hashed });
  return hashed;
}

/**
 * Whether the own enumerable keys of `record` are exactly `keys`, without
 * listing them: as many keys enumerated (inherited ones too, which only makes
 * a mismatch) as `keys` holds, and each of them its own.
 */
function hasExactly(record: Record<string, unknown>, keys: readonly string[]): boolean {
  let count = 0;
  for (const _key in record) count += 1;
  return count === keys.length && keys.every((key) => Object.hasOwn(record, key));
}
