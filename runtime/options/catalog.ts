/**
 * Every option of cachier, once: the kind of value it takes, where it may be
 * given, and its built-in default. Validation (runtime and tag grammar) and
 * resolution are built from this table and the backend registry; the
 * connection options (`mongetter`, `redis`, `postgres`, `s3`) come from the
 * backends' descriptors. Pure data, so the transformer may import it.
 */

/** The kind of value an option takes; each kind has one check in the runtime and one in the tag grammar. */
export type OptionKind =
  /** Milliseconds or a duration such as `3d`. */
  | 'duration'
  /** A duration longer than 0. */
  | 'lease'
  /** A duration, or (in `cachier()`) a function of the value answering one. */
  | 'shelfLife'
  /** A duration, never negative (per call). */
  | 'maxAge'
  | 'boolean'
  /** The name of a backend of the registry. */
  | 'backend'
  /** A non-empty string. */
  | 'text'
  /** A function (in a tag: a binding in scope). */
  | 'function'
  /** Bytes or a size such as `64KB`. */
  | 'size'
  /** A whole number above 0. */
  | 'count'
  /** A number from 0 to 1. */
  | 'rate'
  /** `true`, or the bounds of a local tier `{ maxEntries?, maxBytes? }` (in a tag: a bare flag). */
  | 'localTier';

/** Where an option may be given. */
export type OptionPlace = 'cachier' | 'setDefaults' | 'withOptions' | 'tag';

/** One option of the catalog. */
export interface OptionSpec {
  readonly kind: OptionKind;
  readonly places: readonly OptionPlace[];
  /** The value in force when nobody set it; `undefined` for options without one (`hash`, `entrySizeLimit`). */
  readonly default: unknown;
}

const EVERYWHERE: readonly OptionPlace[] = ['cachier', 'setDefaults', 'withOptions', 'tag'];
const FUNCTION_AND_DEFAULTS: readonly OptionPlace[] = ['cachier', 'setDefaults', 'tag'];

/** The catalog, by option name. */
export const OPTIONS = {
  staleAfter: { kind: 'shelfLife', places: EVERYWHERE, default: Infinity },
  nextTime: { kind: 'boolean', places: EVERYWHERE, default: false },
  backend: { kind: 'backend', places: FUNCTION_AND_DEFAULTS, default: 'file' },
  // Resolved from $CACHIER_DIR or the home folder when read: see resolve.ts.
  cacheDir: { kind: 'text', places: FUNCTION_AND_DEFAULTS, default: undefined },
  reload: { kind: 'boolean', places: FUNCTION_AND_DEFAULTS, default: true },
  separateFiles: { kind: 'boolean', places: FUNCTION_AND_DEFAULTS, default: false },
  shared: { kind: 'boolean', places: FUNCTION_AND_DEFAULTS, default: false },
  waitForCalcTimeout: { kind: 'duration', places: EVERYWHERE, default: 0 },
  allowUndefined: { kind: 'boolean', places: EVERYWHERE, default: false },
  allowNonStaticMethods: { kind: 'boolean', places: FUNCTION_AND_DEFAULTS, default: false },
  entrySizeLimit: { kind: 'size', places: FUNCTION_AND_DEFAULTS, default: undefined },
  maxEntries: { kind: 'count', places: FUNCTION_AND_DEFAULTS, default: undefined },
  maxBytes: { kind: 'size', places: FUNCTION_AND_DEFAULTS, default: undefined },
  lease: { kind: 'lease', places: FUNCTION_AND_DEFAULTS, default: '30s' },
  backendTimeout: { kind: 'lease', places: FUNCTION_AND_DEFAULTS, default: '2s' },
  strict: { kind: 'boolean', places: FUNCTION_AND_DEFAULTS, default: false },
  grace: { kind: 'duration', places: FUNCTION_AND_DEFAULTS, default: 0 },
  graceBackoff: { kind: 'duration', places: FUNCTION_AND_DEFAULTS, default: '10s' },
  timeout: { kind: 'lease', places: FUNCTION_AND_DEFAULTS, default: undefined },
  hardTimeout: { kind: 'lease', places: FUNCTION_AND_DEFAULTS, default: undefined },
  cleanupStale: { kind: 'boolean', places: FUNCTION_AND_DEFAULTS, default: false },
  cleanupInterval: { kind: 'duration', places: FUNCTION_AND_DEFAULTS, default: '1d' },
  local: { kind: 'localTier', places: FUNCTION_AND_DEFAULTS, default: false },
  metrics: { kind: 'boolean', places: FUNCTION_AND_DEFAULTS, default: true },
  metricsSamplingRate: { kind: 'rate', places: FUNCTION_AND_DEFAULTS, default: 0.01 },
  hash: { kind: 'function', places: FUNCTION_AND_DEFAULTS, default: undefined },
  id: { kind: 'text', places: ['cachier', 'tag'], default: undefined },
  sourceHash: { kind: 'text', places: ['cachier', 'tag'], default: undefined },
  clock: { kind: 'function', places: ['setDefaults'], default: Date.now },
  skipCache: { kind: 'boolean', places: ['withOptions'], default: false },
  overwriteCache: { kind: 'boolean', places: ['withOptions'], default: false },
  maxAge: { kind: 'maxAge', places: ['withOptions'], default: Infinity },
  debug: { kind: 'boolean', places: ['withOptions'], default: false },
} as const satisfies Readonly<Record<string, OptionSpec>>;

/** The name of an option of the catalog. */
export type OptionName = keyof typeof OPTIONS;

/** The options that may be given at `place`, in catalog order. */
export function optionsAt(place: OptionPlace): OptionName[] {
  return (Object.keys(OPTIONS) as OptionName[]).filter((name) => (OPTIONS[name].places as readonly OptionPlace[]).includes(place));
}

/** The built-in default of `name`. */
export function defaultOf<N extends OptionName>(name: N): (typeof OPTIONS)[N]['default'] {
  return OPTIONS[name].default;
}
