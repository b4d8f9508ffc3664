/**
 * Source maps through the rewrite's text edits, without a map of the edits
 * themselves: the rewrite keeps every line before the end of a module and
 * only inserts or replaces text, so a compiler's map is carried across it by
 * moving each position where the edits put its text. It gives the map that
 * composing with the rewrite's character-by-character map gives, at a small
 * part of the cost (no map of every character to build, encode and trace).
 */
import { decode, encode, type SourceMapSegment } from '@jridgewell/sourcemap-codec';

/** A text's line starts, to turn offsets into lines and columns and back. */
class Lines {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) this.starts.push(index + 1);
  }

  offset(line: number, column: number): number {
    return (this.starts[line] ?? Number.MAX_SAFE_INTEGER) + column;
  }

  position(offset: number): { line: number; column: number } {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.starts[middle] as number) <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low, column: offset - (this.starts[low] as number) };
  }
}

interface RawMap {
  mappings: string;
  sources: string[];
  sourcesContent?: (string | null)[];
}

/**
 * `map` (of the generated text `before`) made to describe `after`, the same
 * text edited: each segment moves to where `generatedOffset` puts its text.
 */
export function followGeneratedEdits(map: string, before: string, after: string, generatedOffset: (offset: number) => number): string {
  const raw = JSON.parse(map) as RawMap;
  const from = new Lines(before);
  const to = new Lines(after);
  const moved: SourceMapSegment[][] = [];
  let ordered = true;
  decode(raw.mappings).forEach((segments, line) => {
    for (const segment of segments) {
      const { line: movedLine, column } = to.position(generatedOffset(from.offset(line, segment[0])));
      // The decoded segments are this function's own: moved in place rather than copied.
      segment[0] = column;
      moved[movedLine] ??= [];
      const onLine = moved[movedLine];
      if (onLine.length > 0 && (onLine[onLine.length - 1] as SourceMapSegment)[0] > column) ordered = false;
      onLine.push(segment);
    }
  });
  // Edits only insert or replace text, so segments stay in order; sorted when a map came out of order.
  const lines = Array.from(moved, (segments = []) => (ordered ? segments : segments.sort((a, b) => a[0] - b[0])));
  return JSON.stringify({ ...raw, mappings: encode(lines) });
}

/** One source of a map that names edited text: the text as edited, the text as written, and the way back. */
export interface EditedSource {
  readonly edited: string;
  readonly original: string;
  /** The offset in `original` that an offset of `edited` is a copy of; `undefined` inside generated text. */
  sourceOffset(offset: number): number | undefined;
}

/**
 * `map` with each position in an edited source (`editedSource` answers, by the
 * map's source entry) moved back to the text as written, whose content
 * replaces the edited one when the map carries contents. Positions in
 * generated text lose their source, as they do when composed with the
 * rewrite's own map (which maps copied text only).
 */
export function followSourceEdits(map: string, editedSource: (source: string) => EditedSource | undefined): string {
  const raw = JSON.parse(map) as RawMap;
  const edited = raw.sources.map((source) => {
    const found = editedSource(source);
    return found ? { found, from: new Lines(found.edited), to: new Lines(found.original) } : undefined;
  });
  if (!edited.some((entry) => entry)) return map;
  const lines = decode(raw.mappings).map((segments) =>
    segments.map((segment): SourceMapSegment => {
      if (segment.length === 1) return segment;
      const entry = edited[segment[1]];
      if (!entry) return segment;
      const offset = entry.found.sourceOffset(entry.from.offset(segment[2], segment[3]));
      if (offset === undefined) return [segment[0]];
      const { line, column } = entry.to.position(offset);
      return segment.length === 5 ? [segment[0], segment[1], line, column, segment[4]] : [segment[0], segment[1], line, column];
    }),
  );
  const sourcesContent = raw.sourcesContent?.map((content, index) => edited[index]?.found.original ?? content);
  return JSON.stringify({ ...raw, mappings: encode(lines), ...(sourcesContent ? { sourcesContent } : {}) });
}
