import { effectiveDefaults, validateDefaults, type CachierDefaults, type EffectiveDefaults } from './options.js';

let defaults: CachierDefaults = {};
let defaultsVersion = 0;
let enabledOverride: boolean | undefined;
// process.env is slow to read, so CACHIER_DISABLE is read once per defaults version.
let environmentDisabled: { readonly version: number; readonly disabled: boolean } | undefined;

/**
 * Sets global defaults for every cached function; a function's own options
 * win. Takes effect at the next call, also for functions wrapped before.
 *
 * @example setDefaults({ cacheDir: '/var/cache/myapp', staleAfter: '1h' })
 * @throws {@link InvalidOptionError} naming an unknown setting or bad value.
 */
export function setDefaults(settings: CachierDefaults): void {
  validateDefaults(settings);
  defaults = { ...defaults, ...settings };
  defaultsVersion++;
}

/**
 * The global defaults in force: each setting as given to {@link setDefaults},
 * else its built-in value (`cacheDir` resolved from `CACHIER_DIR` or the home
 * folder now). `mongetter`, `entrySizeLimit` and `hash` are absent unless set.
 *
 * @example getDefaults().staleAfter // Infinity until setDefaults({ staleAfter: '1h' }), then '1h'
 */
export function getDefaults(): EffectiveDefaults {
  return effectiveDefaults(defaults);
}

/** Only what {@link setDefaults} was given, for resolving a function's options. */
export function givenDefaults(): Readonly<CachierDefaults> {
  return defaults;
}

/**
 * Forgets every global default set by {@link setDefaults} and any
 * {@link enableCaching} / {@link disableCaching}, so the environment decides again.
 */
export function resetDefaults(): void {
  defaults = {};
  enabledOverride = undefined;
  defaultsVersion++;
}

/** Counts changes of the defaults, so wrapped functions know when to re-resolve. */
export function currentDefaultsVersion(): number {
  return defaultsVersion;
}

/** Turns caching back on after {@link disableCaching} (also over `CACHIER_DISABLE=1`). */
export function enableCaching(): void {
  enabledOverride = true;
}

/** Makes every cached function call straight through, reading and writing nothing. */
export function disableCaching(): void {
  enabledOverride = false;
}

/**
 * Whether calls use their caches: the last {@link enableCaching} /
 * {@link disableCaching}, else off when the environment has `CACHIER_DISABLE=1` (or `true`),
 * read at the first call and again after {@link setDefaults} or {@link resetDefaults}.
 */
export function isCachingEnabled(): boolean {
  if (enabledOverride !== undefined) return enabledOverride;
  if (environmentDisabled?.version !== defaultsVersion) {
    const flag = process.env['CACHIER_DISABLE'];
    environmentDisabled = { version: defaultsVersion, disabled: flag === '1' || flag?.toLowerCase() === 'true' };
  }
  return !environmentDisabled.disabled;
}
