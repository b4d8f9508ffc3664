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
  walk(node, (part) => parts.push(part));
  // Each part followed by a NUL, hashed in one update: the bytes (and so the digest) of an update per part, at a fraction of the calls.
  return createHash('sha256')
    .update(`${parts.join('\u0000')}\u0000`)
    .digest('base64url')
    .slice(0, 16);
}

function walk(value: unknown, feed: (part: string) => void): void {
  if (Array.isArray(value)) {
    feed('[');
    for (const item of value) {
      if (item === null || item === undefined) feed('null');
      else walk(item, feed);
    }
    feed(']');
  } else if (typeof value === 'object' && value !== null) {
    walkRecord(value as Record<string, unknown>, feed);
  } else if (typeof value === 'string') {
    feed(JSON.stringify(value));
  } else if (typeof value === 'bigint') {
    feed(`${value}n`);
  } else {
    feed(String(value));
  }
}

function walkRecord(record: Record<string, unknown>, feed: (part: string) => void): void {
  const type = typeof record.type === 'string' ? record.type : '';
  feed(`(${type}`);
  // A regular expression's or a bigint's value is an object the parser built; its pattern and digits say the same.
  const valueSpelledElsewhere = (record.regex ?? record.bigint) !== undefined && (record.regex ?? record.bigint) !== null;
  for (const key of Object.keys(record).sort()) {
    if (SPELLING.has(key) || (key === 'value' && valueSpelledElsewhere)) continue;
    const field = record[key];
    if (field === null || field === undefined || field === false || (Array.isArray(field) && field.length === 0)) continue;
    feed(key);
    walk(field, feed);
  }
  feed(')');
}
