import { closestName } from './closest-name.js';
import { isByteSizeText, isDurationText, isZeroDuration } from './duration.js';
import { TagProblem } from './problems.js';
import { OPTIONS, optionsAt, type OptionKind } from '../../runtime/options/catalog.js';
import { backendNamed, backends } from '../../runtime/backends/registry.js';
import type { SyntaxNode } from './parser.js';
import type { RawOption, RawTag } from './tag-parser.js';

/** A checked tag value, ready to become a property of the runtime options object. */
export type TagValue =
  | { readonly kind: 'string'; readonly text: string }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'boolean'; readonly value: boolean }
  /** A reference to a binding in scope, possibly dotted (`getCollection`, `db.orders`), and the node declaring its head. */
  | { readonly kind: 'binding'; readonly path: readonly string[]; readonly declaration: SyntaxNode };

/** One checked option of a tag. */
export interface TagOption {
  readonly name: string;
  readonly value: TagValue;
  readonly raw: RawOption;
}

type ValueKind = 'duration' | 'lease' | 'boolean' | 'backend' | 'text' | 'binding' | 'size' | 'count' | 'rate';

/** How a tag writes each kind of the option catalog: a function is a binding in scope. */
const TAG_KIND: Readonly<Record<OptionKind, ValueKind>> = {
  duration: 'duration',
  shelfLife: 'duration',
  maxAge: 'duration',
  lease: 'lease',
  boolean: 'boolean',
  backend: 'backend',
  text: 'text',
  function: 'binding',
  size: 'size',
  count: 'count',
  rate: 'rate',
  localTier: 'boolean',
};

/** The runtime's `cachier()` options a tag may set, from the option catalog and the backends' connection options. */
const OPTION_KINDS: Readonly<Record<string, ValueKind>> = {
  ...Object.fromEntries(optionsAt('tag').map((name) => [name, TAG_KIND[OPTIONS[name].kind]])),
  ...Object.fromEntries(backends.flatMap((backend) => (backend.connection ? [[backend.connection.option, 'binding']] : []))),
};

const IDENTIFIER_PATH = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;

/** What option checking needs to know about the place the tag sits. */
export interface TagContext {
  /** The node declaring a binding of this name visible where the function is declared. */
  findBinding(name: string): SyntaxNode | undefined;
}

/**
 * Checks every option of `tag` against the runtime's option list and value
 * grammar, and options against each other.
 *
 * @throws {@link TagProblem} at the first wrong option: unknown name (with the
 *   closest known name), bad value, unknown binding, repeated or conflicting options.
 */
export function checkTagOptions(tag: RawTag, context: TagContext): TagOption[] {
  const seen = new Map<string, TagOption>();
  for (const raw of tag.options) {
    const kind = OPTION_KINDS[raw.name];
    if (kind === undefined) throw unknownOption(raw);
    if (seen.has(raw.name)) {
      throw new TagProblem(raw.start, raw.name.length, `option "${raw.name}" is given twice; keep one`);
    }
    seen.set(raw.name, { name: raw.name, value: checkValue(raw, kind, context), raw });
  }
  checkCombinations(seen);
  return [...seen.values()];
}

function unknownOption(raw: RawOption): TagProblem {
  const known = Object.keys(OPTION_KINDS);
  const suggestion = closestName(raw.name, known);
  const hint = suggestion ? `did you mean "${suggestion}"?` : `known options: ${known.join(', ')}`;
  return new TagProblem(raw.start, raw.name.length, `unknown @cachier option "${raw.name}"; ${hint}`);
}

function checkValue(raw: RawOption, kind: ValueKind, context: TagContext): TagValue {
  const { name, value } = raw;
  const problem = (expected: string): TagProblem =>
    new TagProblem(
      raw.valueStart,
      Math.max(1, raw.end - raw.valueStart),
      `option "${name}" ${expected}${value === undefined ? '' : `, got "${value}"`}`,
    );
  if (kind === 'boolean') {
    if (value === undefined || value === 'true') return { kind: 'boolean', value: true };
    if (value === 'false') return { kind: 'boolean', value: false };
    throw problem('expects true or false (a bare flag means true)');
  }
  if (value === undefined) throw problem(`needs a value: write ${name}=<value>`);
  switch (kind) {
    case 'duration':
    case 'lease':
      if (!isDurationText(value)) throw problem('expects milliseconds or a duration such as 500ms, 30s, 5m, 3h, 3d, 2w or 1h30m');
      if (kind === 'lease' && isZeroDuration(value)) throw problem('must be longer than 0ms');
      return numberOrText(value);
    case 'size':
      if (!isByteSizeText(value)) throw problem('expects a positive number of bytes or a size such as 64KB or 10MB');
      return numberOrText(value);
    case 'count':
      if (!/^[1-9]\d*$/.test(value) || !Number.isSafeInteger(Number(value))) throw problem('expects a whole number above 0');
      return { kind: 'number', value: Number(value) };
    case 'rate':
      if (!/^\d+(\.\d+)?$/.test(value) || Number(value) > 1) throw problem('expects a number from 0 to 1');
      return numberOrText(value);
    case 'backend':
      if (!backendNamed(value)) throw problem(`expects one of ${backends.map((backend) => backend.name).join(', ')}`);
      return { kind: 'string', text: value };
    case 'text':
      if (value.trim() === '') throw problem('expects a non-empty string');
      return { kind: 'string', text: value };
    case 'binding':
      return checkBinding(raw, value, context, problem);
  }
}

function checkBinding(raw: RawOption, value: string, context: TagContext, problem: (expected: string) => TagProblem): TagValue {
  if (raw.quoted || !IDENTIFIER_PATH.test(value)) {
    throw problem('expects the name of a function in scope, such as getCollection (not a string)');
  }
  const path = value.split('.');
  const head = path[0] as string;
  const declaration = context.findBinding(head);
  if (!declaration) {
    throw new TagProblem(
      raw.valueStart,
      head.length,
      `option "${raw.name}" names "${head}", which is not declared or imported in this module; declare it, import it, or fix the name`,
    );
  }
  return { kind: 'binding', path, declaration };
}

function numberOrText(value: string): TagValue {
  return /^\d+(\.\d+)?$/.test(value) ? { kind: 'number', value: Number(value) } : { kind: 'string', text: value };
}

/** Options of one backend given with another are refused; a backend's connection binding is required with it. */
function checkCombinations(options: ReadonlyMap<string, TagOption>): void {
  const backend = options.get('backend');
  if (backend?.value.kind !== 'string') return;
  const chosen = backend.value.text;
  for (const owner of backends) {
    if (owner.name === chosen) continue;
    for (const name of [...owner.ownOptions, ...(owner.connection ? [owner.connection.option] : [])]) {
      const option = options.get(name);
      if (option) {
        throw new TagProblem(
          option.raw.start,
          name.length,
          `option "${name}" applies to backend=${owner.name} only, but backend=${chosen}; remove one of them`,
        );
      }
    }
  }
  const connection = backendNamed(chosen)?.connection;
  if (connection && !options.has(connection.option)) {
    throw new TagProblem(
      backend.raw.valueStart,
      chosen.length,
      `backend=${chosen} needs ${connection.option}=<name of a binding in scope> (${connection.hint}); add it to the tag`,
    );
  }
}
