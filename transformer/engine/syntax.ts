import type * as TS from 'typescript';
import type { TypeScript } from './typescript-api.js';

/** Whether `node` carries the modifier `kind` (`export`, `default`, `static`, `async`...). */
export function hasModifier(ts: TypeScript, node: TS.Node, kind: TS.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((modifier) => modifier.kind === kind);
}
