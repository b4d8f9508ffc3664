import { parseDuration, type Duration } from '../duration.js';
import { CachierError, InvalidOptionError } from '../errors.js';
import { parseByteSize, type ByteSize } from '../size.js';
import { backendConnectedBy, backendNamed, backends } from '../backends/registry.js';
import type { BackendDescriptor } from '../backends/descriptor.js';
import { OPTIONS, optionsAt, type OptionKind, type OptionPlace } from './catalog.js';
import { closestName } from './closest-name.js';
import type { CachierOptions, SharedOptions } from './types.js';

type Check = (value: unknown, option: string) => void;

const isDuration: Check = (value, option) => {
  if (typeof value !== 'number' && typeof value !== 'string') {
    throw new InvalidOptionError(option, `expected milliseconds or a duration such as '3d', got ${describe(value)}`);
  }
  try {
    parseDuration(value);
  } catch (error) {
    throw new InvalidOptionError(option, (error as Error).message.replace(/^cachier: /, ''));
  }
};
const isFunction: Check = (value, option) => {
  if (typeof value !== 'function') throw new InvalidOptionError(option, `expected a function, got ${describe(value)}`);
};

/** One check per kind of the catalog. */
const CHECKS: Readonly<Record<OptionKind, Check>> = {
  duration: isDuration,
  lease: (value, option) => {
    isDuration(value, option);
    if (parseDuration(value as Duration) <= 0) throw new InvalidOptionError(option, 'must be longer than 0ms');
  },
  shelfLife: isDuration,
  maxAge: (value, option) => {
    if (typeof value === 'number' && value < 0) {
      throw new InvalidOptionError(
        option,
        `must not be negative, got ${value}; to recompute whatever the entry's age (Python's negative max_age), use overwriteCache: true`,
      );
    }
    isDuration(value, option);
  },
  boolean: (value, option) => {
    if (typeof value !== 'boolean') throw new InvalidOptionError(option, `expected true or false, got ${describe(value)}`);
  },
  backend: (value, option) => {
    if (typeof value !== 'string' || !backendNamed(value)) {
      throw new InvalidOptionError(option, `expected one of ${backends.map((b) => `'${b.name}'`).join(', ')}, got ${describe(value)}`);
    }
  },
  text: (value, option) => {
    if (typeof value !== 'string' || value.trim() === '')
      throw new InvalidOptionError(option, `expected a non-empty string, got ${describe(value)}`);
  },
  function: isFunction,
  size: (value, option) => {
    parseByteSize(value as ByteSize, option);
  },
  count: (value, option) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
      throw new InvalidOptionError(option, `expected a whole number above 0, got ${describe(value)}`);
    }
  },
  rate: (value, option) => {
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
      throw new InvalidOptionError(option, `expected a number from 0 to 1, got ${describe(value)}`);
    }
  },
  localTier: checkLocalTier,
};

/** `local`: a boolean, or an object whose only fields are positive bounds. */
function checkLocalTier(value: unknown, option: string): void {
  if (typeof value === 'boolean') return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(option, `expected true, false or { maxEntries?, maxBytes? }, got ${describe(value)}`);
  }
  for (const [field, bound] of Object.entries(value)) {
    if (field === 'maxEntries') {
      if (bound !== undefined && !(Number.isSafeInteger(bound) && (bound as number) > 0)) {
        throw new InvalidOptionError(option, `maxEntries must be a whole number above 0, got ${describe(bound)}`);
      }
    } else if (field === 'maxBytes') {
      if (bound !== undefined && parseByteSize(bound as ByteSize, `${option}.maxBytes`) <= 0) {
        throw new InvalidOptionError(option, `maxBytes must be above 0, got ${describe(bound)}`);
      }
    } else {
      throw new InvalidOptionError(option, `has no field "${field}"; it takes maxEntries and maxBytes`);
    }
  }
}

/** The check of each backend's connection option: a function (mongetter), or a client object or a function returning one. */
const checkConnection = (backend: BackendDescriptor): Check => {
  if (backend.connection?.holds === 'function') return isFunction;
  return (value, option) => {
    if (typeof value !== 'function' && (typeof value !== 'object' || value === null)) {
      throw new InvalidOptionError(option, `expected a client object or a function returning one, got ${describe(value)}`);
    }
  };
};

/** The checks of the options given at `place`: the catalog's, and every backend's connection option. */
function checksAt(place: Exclude<OptionPlace, 'tag'>): Readonly<Record<string, Check>> {
  const checks: Record<string, Check> = {};
  for (const name of optionsAt(place)) {
    const { kind } = OPTIONS[name];
    // A function of the value is a shelf life only where the value's type is known: a function's own options.
    checks[name] =
      kind === 'shelfLife' && place === 'cachier'
        ? (value, option) => (typeof value === 'function' ? undefined : isDuration(value, option))
        : CHECKS[kind];
  }
  if (place !== 'withOptions') {
    for (const backend of backends) if (backend.connection) checks[backend.connection.option] = checkConnection(backend);
  }
  return checks;
}

const OPTION_CHECKS = checksAt('cachier');
const DEFAULTS_CHECKS = checksAt('setDefaults');
const CALL_OPTION_CHECKS = checksAt('withOptions');

/** Throws {@link InvalidOptionError} for an unknown option or a bad value in `cachier()` options, or options that do not fit the backend. */
export function validateOptions(options: unknown): void {
  validateAgainst(options, OPTION_CHECKS, 'cachier() options');
  checkBackendFits(options as CachierOptions);
}

/** Throws {@link InvalidOptionError} for an unknown setting or a bad value in `setDefaults()`. */
export function validateDefaults(defaults: unknown): void {
  validateAgainst(defaults, DEFAULTS_CHECKS, 'setDefaults()');
}

/** Throws {@link InvalidOptionError} for an unknown override or a bad value in `withOptions()`. */
export function validateCallOptions(overrides: object): void {
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
    throw new CachierError(
      `cachier: withOptions() takes an object of per-call options, e.g. withOptions({ overwriteCache: true }), got ${describe(overrides)}`,
    );
  }
  for (const [name, value] of Object.entries(overrides)) {
    const check = CALL_OPTION_CHECKS[name];
    if (!check) throw new InvalidOptionError(name, `is not a per-call option; use ${Object.keys(CALL_OPTION_CHECKS).join(', ')}`);
    if (value !== undefined) check(value, name);
  }
}

/** The backend named, or implied by its connection option alone (a `mongetter` implies mongo, as in Python). */
export function impliedBackend(options: Pick<SharedOptions, 'backend' | 'mongetter'>): string | undefined {
  return options.backend ?? (options.mongetter === undefined ? undefined : backendConnectedBy('mongetter')?.name);
}

/** Refuses options of one backend given with another: its own options and its connection option. */
function checkBackendFits(options: CachierOptions): void {
  const backend = impliedBackend(options);
  if (backend === undefined) return;
  const given = options as Record<string, unknown>;
  for (const owner of backends) {
    if (owner.name === backend) continue;
    const foreign = [...owner.ownOptions, ...(owner.connection ? [owner.connection.option] : [])];
    for (const name of foreign) {
      if (given[name] !== undefined) {
        throw new InvalidOptionError(name, `applies to the ${owner.name} backend only, but backend is '${backend}'; remove one of them`);
      }
    }
  }
}

function validateAgainst(options: unknown, checks: Readonly<Record<string, Check>>, where: string): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new CachierError(`cachier: ${where} must be an object, got ${describe(options)}`);
  }
  for (const [name, value] of Object.entries(options)) {
    const check = checks[name];
    if (!check) {
      const suggestion = closestName(name, Object.keys(checks));
      throw new InvalidOptionError(
        name,
        `is not an option of ${where}${suggestion ? `; did you mean "${suggestion}"?` : ''} ` +
          `Known options: ${Object.keys(checks).join(', ')}`,
      );
    }
    if (value !== undefined) check(value, name);
  }
}

/** A value as an error message shows it. */
export function describe(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol' || typeof value === 'undefined' || value === null) return String(value);
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}
