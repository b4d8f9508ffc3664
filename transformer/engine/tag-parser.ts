import { TagProblem } from './problems.js';

/** One `name=value` or bare `flag` token of a `@cachier` tag, with where it sits in the file. */
export interface RawOption {
  readonly name: string;
  /** The value as written (quotes removed for strings), or `undefined` for a bare flag. */
  readonly value: string | undefined;
  /** Whether the value was written in quotes, so `id="3d"` stays a string. */
  readonly quoted: boolean;
  /** File offset of the option's name. */
  readonly start: number;
  /** File offset of the value (of the name, for a bare flag). */
  readonly valueStart: number;
  /** File offset just after the token. */
  readonly end: number;
}

/** A `@cachier` tag found in a JSDoc block. */
export interface RawTag {
  /** File offset of `@cachier`. */
  readonly start: number;
  readonly options: readonly RawOption[];
}

const TAG = '@cachier';

/**
 * Reads the `@cachier` tag of one JSDoc comment (`/** ... *\/`), or answers
 * `undefined` when the comment has none. `commentStart` is the comment's offset
 * in the file, so every position reported is a file offset.
 *
 * The tag runs from `@cachier` to the next JSDoc tag that starts a line, or to
 * the end of the comment, and may span several lines. Tokens are `name=value`
 * or bare `flag`; a value may be quoted with `"` or `'` to hold spaces.
 *
 * @throws {@link TagProblem} for a second `@cachier` tag, an empty value or an unterminated quote.
 */
export function parseTag(comment: string, commentStart: number): RawTag | undefined {
  if (!comment.startsWith('/**')) return undefined;
  const tagAt = findTag(comment, 0);
  if (tagAt === -1) return undefined;
  const second = findTag(comment, tagAt + TAG.length);
  if (second !== -1) {
    throw new TagProblem(
      commentStart + second,
      TAG.length,
      'a JSDoc block may hold one @cachier tag; merge the options into the first one',
    );
  }
  const bodyEnd = comment.endsWith('*/') ? comment.length - 2 : comment.length;
  const tagEnd = endOfTag(comment, tagAt + TAG.length, bodyEnd);
  const body = comment.slice(0, tagEnd);
  return { start: commentStart + tagAt, options: readOptions(body, tagAt + TAG.length, commentStart) };
}

/** Offset of a `@cachier` that is a whole tag name (not `@cachiered`, not quoted in backticks), or -1. */
function findTag(comment: string, from: number): number {
  let at = comment.indexOf(TAG, from);
  while (at !== -1) {
    const next = comment[at + TAG.length];
    const before = comment[at - 1];
    // `@cachier` in backticks is prose about the tag, not a tag.
    const startsWord = before === undefined || !/[\w@`]/.test(before);
    if (startsWord && (next === undefined || !/[\w-]/.test(next))) return at;
    at = comment.indexOf(TAG, at + TAG.length);
  }
  return -1;
}

/** Where the tag stops: at the next line whose text (after the `*` margin) starts with another `@tag`. */
function endOfTag(comment: string, from: number, bodyEnd: number): number {
  const nextTag = /\n[ \t]*\*?[ \t]*@\w/g;
  nextTag.lastIndex = from;
  const match = nextTag.exec(comment);
  return match && match.index < bodyEnd ? match.index : bodyEnd;
}

/** Reads the tokens of `comment` (cut at the tag's end) from `from` on. */
function readOptions(comment: string, from: number, commentStart: number): RawOption[] {
  const to = comment.length;
  const options: RawOption[] = [];
  let at = from;
  while (at < to) {
    at = skipMargin(comment, at, to);
    if (at >= to) break;
    const nameMatch = /[^\s=]+/y;
    nameMatch.lastIndex = at;
    const name = nameMatch.exec(comment)?.[0] ?? '';
    const nameStart = at;
    at += name.length;
    if (name === '' || comment[at] !== '=') {
      if (name === '') throw new TagProblem(commentStart + at, 1, 'expected an option name before "="');
      options.push({
        name,
        value: undefined,
        quoted: false,
        start: commentStart + nameStart,
        valueStart: commentStart + nameStart,
        end: commentStart + at,
      });
      continue;
    }
    at += 1;
    const value = readValue(comment, at, commentStart, name);
    options.push({
      name,
      value: value.text,
      quoted: value.quoted,
      start: commentStart + nameStart,
      valueStart: commentStart + at,
      end: commentStart + value.end,
    });
    at = value.end;
  }
  return options;
}

function readValue(comment: string, at: number, commentStart: number, name: string): { text: string; quoted: boolean; end: number } {
  const quote = comment[at];
  if (quote === '"' || quote === "'") {
    const close = comment.indexOf(quote, at + 1);
    if (close === -1) {
      throw new TagProblem(
        commentStart + at,
        1,
        `the value of "${name}" opens a ${quote} quote that is never closed; close it on the same tag`,
      );
    }
    return { text: comment.slice(at + 1, close), quoted: true, end: close + 1 };
  }
  const bare = /[^\s]*/y;
  bare.lastIndex = at;
  const text = bare.exec(comment)?.[0] ?? '';
  if (text === '')
    throw new TagProblem(commentStart + at - 1, 1, `"${name}=" has no value; write ${name}=<value>, or drop "=" for a true flag`);
  return { text, quoted: false, end: at + text.length };
}

/** Skips spaces, line breaks and the `*` that starts each JSDoc line. */
function skipMargin(comment: string, at: number, to: number): number {
  let lineStart = false;
  while (at < to) {
    const char = comment[at];
    if (char === '\n') lineStart = true;
    else if (char === '*' && lineStart) lineStart = false;
    else if (char !== ' ' && char !== '\t' && char !== '\r') break;
    at++;
  }
  return at;
}
