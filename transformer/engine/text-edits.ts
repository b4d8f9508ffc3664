import MagicString, { type SourceMap } from 'magic-string';

/** One insertion or replacement, as {@link TextEdits.edits} lists it (JSON, so a rewrite can be stored and made again). */
export interface Edit {
  /** Offset in the original text. */
  readonly at: number;
  /** Original characters replaced (0 for an insertion). */
  readonly removed: number;
  readonly text: string;
  /** The original offset that generated text stands for (where a diagnostic in it is reported). */
  readonly attribution: number;
  readonly sequence: number;
}

/**
 * Insertions and replacements on one module's text, giving the new text, a
 * source map back to the original, and the original offset of any offset of
 * the new text. Insertions at one offset come out in the order they were made,
 * before a replacement starting there.
 */
export class TextEdits {
  private readonly edits: Edit[] = [];
  /** {@link edits} in text order, once asked for; a new edit forgets it. */
  private inOrder: Edit[] | undefined;

  constructor(readonly original: string) {}

  /** The edits `original` had (as {@link list} gave them), made again: the same text, map and offsets. */
  static from(original: string, edits: readonly Edit[]): TextEdits {
    const made = new TextEdits(original);
    made.edits.push(...edits);
    return made;
  }

  /** Every edit, in the order made. */
  get list(): readonly Edit[] {
    return this.edits;
  }

  get isEmpty(): boolean {
    return this.edits.length === 0;
  }

  insert(at: number, text: string, attribution = at): void {
    this.inOrder = undefined;
    this.edits.push({ at, removed: 0, text, attribution, sequence: this.edits.length });
  }

  replace(start: number, end: number, text: string, attribution = start): void {
    if (end === start) {
      this.insert(start, text, attribution);
      return;
    }
    this.inOrder = undefined;
    this.edits.push({ at: start, removed: end - start, text, attribution, sequence: this.edits.length });
  }

  /** The edited text, and its source map (a mapping at every word boundary, as Vite's own rewrites: half the cost of one per character) to `fileName`'s original text (with its content), made on first call (not every build writes maps). */
  apply(fileName: string): { code: string; map: () => SourceMap } {
    const magic = new MagicString(this.original);
    // Replacements first: an insertion made after them at a replacement's start lands before it, at its end after it.
    for (const edit of this.edits) if (edit.removed > 0) magic.overwrite(edit.at, edit.at + edit.removed, edit.text);
    for (const edit of this.sorted()) if (edit.removed === 0) magic.appendLeft(edit.at, edit.text);
    let map: SourceMap | undefined;
    return {
      code: magic.toString(),
      map: () => (map ??= magic.generateMap({ source: fileName, file: fileName, includeContent: true, hires: 'boundary' })),
    };
  }

  /** The offset in the original text that an offset of the edited text comes from (for generated text, the offset it stands for). */
  originalOffset(generated: number): number {
    const copied = this.copiedOffset(generated);
    return typeof copied === 'number' ? copied : copied.attribution;
  }

  /** The offset in the original text that an offset of the edited text is a copy of; `undefined` inside generated text. */
  sourceOffset(generated: number): number | undefined {
    const copied = this.copiedOffset(generated);
    return typeof copied === 'number' ? copied : undefined;
  }

  private copiedOffset(generated: number): number | Edit {
    let original = 0;
    let position = 0;
    for (const edit of this.sorted()) {
      const unchanged = edit.at - original;
      if (generated < position + unchanged) return original + (generated - position);
      position += unchanged;
      original = edit.at;
      if (generated < position + edit.text.length) return edit;
      position += edit.text.length;
      original += edit.removed;
    }
    return original + (generated - position);
  }

  /** The offset in the edited text where the original text at `original` lands: after text inserted there, at the start of a replacement that covers it. */
  generatedOffset(original: number): number {
    let shift = 0;
    for (const edit of this.sorted()) {
      if (edit.at > original) break;
      if (edit.removed > 0 && original < edit.at + edit.removed) return edit.at + shift;
      shift += edit.text.length - edit.removed;
    }
    return original + shift;
  }

  private sorted(): Edit[] {
    this.inOrder ??= [...this.edits].sort((a, b) => a.at - b.at || a.removed - b.removed || a.sequence - b.sequence);
    return this.inOrder;
  }
}
