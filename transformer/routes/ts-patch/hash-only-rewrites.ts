import type * as TS from 'typescript';
import { CachierError } from '../../../runtime/errors.js';
import type { TransformResult } from '../../engine/index.js';

/**
 * A watch rebuild after an edit of a helper changes the source hashes of
 * every tagged function that reaches it, and nothing else of their modules.
 * Handing the compiler those modules' new text would have it check and emit
 * each of them again (on a realistic project, 50 modules for a one-line edit).
 * Instead such a module keeps its checked tree, and so its version: the
 * builder sees it unchanged. Its emitted JavaScript gets the new hashes from
 * here: what this process last wrote for it, with the hashes replaced (they
 * are all 16 characters, so its source map still fits), and whatever the
 * compiler emits from the kept tree later, likewise.
 *
 * Only JavaScript this process wrote from the very tree is patched: after a
 * restart, or when the compiler has not yet emitted the tree, the module gets
 * its new text and is emitted again, as it always was.
 */

/** The rewritten text a tree was made from, and the source hashes it holds (in the order of the module's functions). */
const treeFacts = new WeakMap<TS.SourceFile, { readonly code: string; readonly hashes: readonly string[] }>();

/** What this process last wrote as each module's JavaScript, by module file: where, the text, the tree it came from and the hashes in it. */
const written = new Map<
  string,
  { readonly path: string; readonly text: string; readonly tree: TS.SourceFile; readonly hashes: readonly string[] }
>();

/** The source hashes of a rewrite's functions, in order. */
export function hashesOf(result: TransformResult): readonly string[] {
  return result.functions.map((fn) => fn.sourceHash);
}

/** Records that `tree` was parsed from `result`'s rewritten text. */
export function recordTree(tree: TS.SourceFile, result: TransformResult): void {
  treeFacts.set(tree, { code: result.code, hashes: hashesOf(result) });
}

/**
 * Whether `tree` (made from an earlier rewrite of its module) can stand for
 * `result`: their texts differ only in source hashes, and the JavaScript this
 * process last wrote for the module came from `tree` and can take the new hashes.
 */
export function canStandFor(tree: TS.SourceFile, result: TransformResult): boolean {
  const facts = treeFacts.get(tree);
  const last = written.get(tree.fileName);
  if (!facts || last?.tree !== tree) return false;
  const hashes = hashesOf(result);
  return withHashes(facts.code, facts.hashes, hashes) === result.code && withHashes(last.text, last.hashes, hashes) !== undefined;
}

/**
 * The JavaScript the compiler emitted from `tree`, with `result`'s source
 * hashes (the tree may hold older ones), recorded as what was written.
 * @throws {CachierError} when the hashes cannot be put in (never expected: {@link canStandFor} checked the same text).
 */
export function emittedWithHashes(path: string, text: string, tree: TS.SourceFile, result: TransformResult): string {
  const hashes = hashesOf(result);
  const facts = treeFacts.get(tree);
  const patched = facts ? withHashes(text, facts.hashes, hashes) : text;
  if (patched === undefined)
    throw new CachierError(`cachier: could not put the new source hashes into ${path}; stop the watch and build again`);
  written.set(tree.fileName, { path, text: patched, tree, hashes });
  return patched;
}

/**
 * The JavaScript files to write again for the modules whose kept trees stand
 * for newer rewrites: each as this process last wrote it, with the hashes of
 * its module's rewrite in `rewrites`. Each answer is recorded as written.
 */
export function patchesFor(
  program: TS.Program,
  rewrites: ReadonlyMap<string, { readonly result: TransformResult }>,
): { readonly path: string; readonly text: string; readonly tree: TS.SourceFile }[] {
  const patches = [];
  for (const [fileName, { result }] of rewrites) {
    const last = written.get(fileName);
    if (!last || last.tree !== program.getSourceFile(fileName)) continue;
    const hashes = hashesOf(result);
    const text = withHashes(last.text, last.hashes, hashes);
    if (text === undefined || text === last.text) continue;
    written.set(fileName, { ...last, text, hashes });
    patches.push({ path: last.path, text, tree: last.tree });
  }
  return patches;
}

/**
 * `text` with each of `from` (a hash that occurs once, as a string literal)
 * replaced by the hash at the same index of `to`; `undefined` when a hash that
 * changes does not occur exactly once, or the two differ in length.
 */
export function withHashes(text: string, from: readonly string[], to: readonly string[]): string | undefined {
  if (from.length !== to.length) return undefined;
  const replacements: { at: number; length: number; by: string }[] = [];
  for (const [index, old] of from.entries()) {
    const now = to[index] as string;
    if (old === now) continue;
    const literal = JSON.stringify(old);
    const at = text.indexOf(literal);
    if (at < 0 || text.includes(literal, at + 1) || now.length !== old.length) return undefined;
    replacements.push({ at, length: literal.length, by: JSON.stringify(now) });
  }
  replacements.sort((a, b) => a.at - b.at);
  let result = '';
  let copied = 0;
  for (const { at, length, by } of replacements) {
    result += text.slice(copied, at) + by;
    copied = at + length;
  }
  return result + text.slice(copied);
}
