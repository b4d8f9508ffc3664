import { createHash } from 'node:crypto';
import type * as TS from 'typescript';
import type { TypeScript } from './typescript-api.js';

/**
 * A hash of a function's code that ignores everything a formatter or a
 * comment edit can change: whitespace, line endings, comments, semicolons,
 * trailing commas, quote style, redundant parentheses and `export` modifiers.
 * Any other token change (a name, an operator, a literal, a type) changes it,
 * and parsed JSDoc does not (a compiler's tree may hold it; the engine's never does).
 *
 * It walks the syntax tree rather than the text, so the tree's nesting stands
 * for the parentheses and semicolons it drops; token texts, not TypeScript's
 * internal kind numbers, feed the hash, so it is the same on every OS and
 * TypeScript version that parses the code alike.
 */
export function sourceHashOf(ts: TypeScript, node: TS.Node, sourceFile: TS.SourceFile): string {
  const digest = createHash('sha256');
  const feed = (part: string): void => {
    digest.update(part);
    digest.update('\u0000');
  };
  walk(ts, node, sourceFile, feed);
  return digest.digest('base64url').slice(0, 16);
}

function walk(ts: TypeScript, node: TS.Node, sourceFile: TS.SourceFile, feed: (part: string) => void): void {
  if (ts.isParenthesizedExpression(node)) {
    walk(ts, node.expression, sourceFile, feed);
    return;
  }
  const children = node.getChildren(sourceFile);
  if (children.length === 0) {
    feedToken(ts, node, sourceFile, feed);
    return;
  }
  // Lists are bracketed by their parent's own tokens; bracketing them too would let an empty modifier list count.
  const bracketed = node.kind !== ts.SyntaxKind.SyntaxList;
  if (bracketed) feed('(');
  for (const child of children) {
    if (isFormattingToken(ts, child, node)) continue;
    walk(ts, child, sourceFile, feed);
  }
  if (bracketed) feed(')');
}

function feedToken(ts: TypeScript, node: TS.Node, sourceFile: TS.SourceFile, feed: (part: string) => void): void {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateLiteralToken(node)) {
    // The cooked value: quote style and CRLF inside templates do not matter.
    feed(`${ts.isStringLiteral(node) ? 's' : 't'}${JSON.stringify(node.text)}`);
  } else if (ts.isNumericLiteral(node) || ts.isBigIntLiteral(node)) {
    feed(node.text);
  } else if (node.kind !== ts.SyntaxKind.EndOfFileToken) {
    feed(node.getText(sourceFile));
  }
}

/** Tokens a formatter adds or removes without changing what the code does. */
function isFormattingToken(ts: TypeScript, child: TS.Node, parent: TS.Node): boolean {
  switch (child.kind) {
    case ts.SyntaxKind.JSDoc:
    // A comment: parsed only by some parsers (a compiler's, for type errors), never by the engine's own.
    case ts.SyntaxKind.SemicolonToken:
    case ts.SyntaxKind.ExportKeyword:
    case ts.SyntaxKind.DefaultKeyword:
      return true;
    case ts.SyntaxKind.CommaToken:
      // Separators inside lists: the tree already tells the elements apart, and a trailing one is style.
      return parent.kind === ts.SyntaxKind.SyntaxList;
    case ts.SyntaxKind.OpenParenToken:
    case ts.SyntaxKind.CloseParenToken:
      // `x => x` and `(x) => x` are the same arrow function.
      return ts.isArrowFunction(parent);
    default:
      return false;
  }
}
