import { describe, expect, test } from 'vitest';
import { parseModule, type SyntaxNode } from '../../../transformer/engine/parser.js';
import { unwrapExport } from '../../../transformer/engine/scope.js';
import { sourceHashOf } from '../../../transformer/engine/source-hash.js';

/** The source hash of the first function declared in `code`. */
function hashOf(code: string): string {
  const statement = parseModule('module.ts', code)
    .program.body.map(unwrapExport)
    .find((node) => node?.type === 'FunctionDeclaration' || node?.type === 'VariableDeclaration');
  if (!statement) throw new Error('no function in the sample');
  const node = statement.type === 'VariableDeclaration' ? (statement.declarations[0]?.init as SyntaxNode) : statement;
  return sourceHashOf(node);
}

const ORIGINAL = `
export async function prices(symbol: string, limit = 10): Promise<number[]> {
  const url = 'https://example.com/' + symbol;
  const rows = await fetchRows(url, { limit, order: 'desc' });
  return rows.map((row) => row.price * (1 + tax));
}`;

describe('source hash', () => {
  test.each([
    ['other indentation and line breaks', ORIGINAL.replace(/\n {2}/g, '\n\t\t').replace('{ limit, order', '{\n limit,\n order')],
    ['CRLF line endings', ORIGINAL.replace(/\n/g, '\r\n')],
    ['comments added or edited', ORIGINAL.replace('const url', '// where the prices live\n  const url').replace('{', '{ /* note */')],
    ['double quotes instead of single quotes', ORIGINAL.replace(/'/g, '"')],
    ['no semicolons', ORIGINAL.replace(/;$/gm, '')],
    ['trailing commas', ORIGINAL.replace("order: 'desc' }", "order: 'desc', }").replace('limit = 10)', 'limit = 10,)')],
    ['parentheses around a lone arrow parameter removed', ORIGINAL.replace('(row) =>', 'row =>')],
    ['redundant parentheses', ORIGINAL.replace('row.price * (1 + tax)', '(row.price * ((1 + tax)))')],
    ['not exported', ORIGINAL.replace('export ', '')],
  ])('is unchanged by %s', (_change, reformatted) => {
    expect(hashOf(reformatted)).toBe(hashOf(ORIGINAL));
  });

  test.each([
    ['a renamed local', ORIGINAL.replace(/\brows\b/g, 'lines')],
    ['another operator', ORIGINAL.replace('row.price * (1 + tax)', 'row.price / (1 + tax)')],
    ['parentheses that change precedence', ORIGINAL.replace('row.price * (1 + tax)', 'row.price * 1 + tax')],
    ['another string', ORIGINAL.replace("'desc'", "'asc'")],
    ['another number', ORIGINAL.replace('limit = 10', 'limit = 11')],
    ['another type', ORIGINAL.replace('symbol: string', 'symbol: String')],
    ['async removed', ORIGINAL.replace('async ', '').replace('await ', '')],
    ['a statement added', ORIGINAL.replace('return rows', 'log(rows);\n  return rows')],
  ])('changes with %s', (_change, edited) => {
    expect(hashOf(edited)).not.toBe(hashOf(ORIGINAL));
  });

  test('is the same for an arrow function written with or without parentheses and braces around its body', () => {
    expect(hashOf('const f = (x: number) => x * 2;')).toBe(hashOf('const f = (x: number) =>\n  (x * 2)'));
  });

  test('is the same for a number or a string spelled another way', () => {
    expect(hashOf('const f = () => 0x10 + "\\u0041";')).toBe(hashOf("const f = () => 16 + 'A';"));
  });

  test('is the same for a function of a JavaScript module and of a TypeScript module', () => {
    const js = parseModule('module.js', 'export function f(x) { return [x, { y: x }]; }').program.body.map(unwrapExport)[0] as SyntaxNode;
    expect(sourceHashOf(js)).toBe(hashOf('export function f(x) { return [x, { y: x }]; }'));
  });

  test('hashes each node by its own fields, however the first node of its type was shaped', () => {
    const hash = (fields: Record<string, unknown>): string => sourceHashOf(fields as unknown as SyntaxNode);
    const first = hash({ type: 'SampleNode', name: 'a', count: 1 });
    expect(hash({ count: 1, name: 'a', type: 'SampleNode' })).toBe(first);
    // Fields the first node did not have still count: as many fields but one of another name, one field more.
    expect(hash({ type: 'SampleNode', name: 'a', total: 1 })).not.toBe(hash({ type: 'SampleNode', name: 'a', total: 2 }));
    expect(hash({ type: 'SampleNode', name: 'a', count: 1, extra: 'x' })).not.toBe(
      hash({ type: 'SampleNode', name: 'a', count: 1, extra: 'y' }),
    );
    expect(hash({ type: 'SampleNode', name: 'a' })).not.toBe(first);
    expect(hash({ type: 'SampleNode', name: 'a', count: 1 })).toBe(first);
  });

  test('is 16 URL-safe characters', () => {
    expect(hashOf(ORIGINAL)).toMatch(/^[\w-]{16}$/);
  });
});
