import type * as TS from 'typescript';

/** Whether `node` carries the modifier `kind` (`export`, `default`, `static`, `async`...). */
export function hasModifier(ts: typeof TS, node: TS.Node, kind: TS.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((modifier) => modifier.kind === kind);
}
