/**
 * Every error cachier raises is a {@link CachierError}, so callers can tell a
 * caching problem from an error thrown by their own function.
 *
 * @example
 * ```ts
 * try { cachier(fn, { staleAfter: 'soon' }); }
 * catch (error) { if (error instanceof InvalidOptionError) console.error(error.option); }
 * ```
 */
export class CachierError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An option passed to `cachier()`, `setDefaults()` or a per-call override has a wrong name or value. */
export class InvalidOptionError extends CachierError {
  /** The option's name, e.g. `staleAfter`. */
  readonly option: string;

  constructor(option: string, message: string) {
    super(`cachier: option "${option}": ${message}`);
    this.option = option;
  }
}

/** A duration string such as `3d` or `1h30m` could not be parsed. */
export class InvalidDurationError extends CachierError {
  /** The text that could not be parsed. */
  readonly input: string;

  constructor(input: string) {
    super(
      `cachier: "${input}" is not a duration; write a number of milliseconds or ` +
        `a duration such as 500ms, 30s, 5m, 3h, 3d, 2w or 1h30m`,
    );
    this.input = input;
  }
}

/** An argument cannot be turned into a cache key faithfully (class instance, function, symbol, cycle...). */
export class UnkeyableArgumentError extends CachierError {
  /** Where the offending value sits, e.g. `argument 2`, `argument 1.items[3]` or `this.owner`. */
  readonly path: string;

  /**
   * @param problem - what is wrong with the value at `path`, e.g. `is a function, which cannot be compared by value`.
   * @param message - the whole message, for subclasses that advise other fixes.
   */
  constructor(path: string, problem: string, message?: string) {
    super(
      message ??
        `cachier: cannot build a cache key: ${path} ${problem}. ` +
          `Pass a \`hash\` option that maps the arguments to a keyable value ` +
          `(strings, numbers, plain objects, arrays, Dates, Maps, Sets, typed arrays...)`,
    );
    this.path = path;
  }
}

/**
 * A cached function was called as a method (`shop.price()`) on an object that
 * cannot be keyed. A method's key includes the object it is called on, so that
 * two instances never share entries; the object must be plain data or have a
 * `[cachierKey]()` method, unless `allowNonStaticMethods` shares one cache
 * across all instances on purpose.
 */
export class UnkeyableThisError extends UnkeyableArgumentError {
  /** The method as called, e.g. `Shop.price()`. */
  readonly method: string;

  /**
   * @param path - `this`, or where inside it the offending value sits (`this.owner`).
   * @param className - the class of `this`, or `undefined` for a plain object.
   */
  constructor(method: string, path: string, problem: string, className: string | undefined) {
    const keyMethod = className && `give ${className} a [cachierKey]() method returning what tells its instances apart, or `;
    super(
      path,
      problem,
      `cachier: cannot key the call of ${method}: ${path} ${problem}. ` +
        `A method's cache key includes the object it is called on (this), so that instances never share entries: ` +
        `${keyMethod ?? ''}set allowNonStaticMethods: true (in a @cachier tag: allowNonStaticMethods) to share one cache ` +
        `across all instances on purpose. A hash option mapping (args, this) to a keyable value, or a static method, also works`,
    );
    this.method = method;
  }
}

/** A value handed to `cachier()`-related helpers is not a function wrapped by `cachier()`. */
export class NotCachedError extends CachierError {
  constructor(what: string) {
    super(
      `cachier: ${what} is not a function wrapped by cachier(); wrap it with cachier(fn) or tag it with @cachier. ` +
        `If it is tagged, the tag was not applied by your build or loader: run \`npx cachier doctor\` ` +
        `(TypeScript 7 builds need cachier-tsc; with tsx, put --import cachier/register before --import tsx)`,
    );
  }
}

/**
 * A control of a cached function was called with arguments of the wrong shape,
 * e.g. `precache(5, value)` where the arguments must be an array: `precache([5], value)`.
 * Nothing is read or stored.
 */
export class InvalidArgumentError extends CachierError {
  constructor(control: string, problem: string) {
    super(`cachier: ${control}: ${problem}`);
  }
}

/** A value could not be stored (too large, not serializable, the backend failed). The call still returns its value. */
export class CacheWriteError extends CachierError {}

/** A value was not stored because its serialized size exceeds `entrySizeLimit` or the backend's own limit. */
export class EntryTooLargeError extends CacheWriteError {}

/** The backend could not be reached or answered with an error. */
export class BackendError extends CachierError {}

/**
 * A backend operation did not finish within `backendTimeout` and was
 * abandoned; it counts as a backend failure (the call goes on without the cache).
 */
export class BackendTimeoutError extends BackendError {
  /** The deadline that passed, in milliseconds. */
  readonly timeoutMs: number;

  constructor(server: string, what: string, timeoutMs: number) {
    super(
      `cachier: the ${server} backend did not answer (${what}) within ${timeoutMs}ms, so the operation was abandoned. ` +
        `Check that the server is up and answering; if it is only slow, or the values are large, raise the backendTimeout option`,
      // The cause names the failure without the operation, so that warnings group one outage as one.
      { cause: new Error(`the ${server} backend did not answer within ${timeoutMs}ms`) },
    );
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The backend failed recently, so its circuit breaker skips it until its
 * cool-down ends; the call goes on without the cache. The `cause` is the
 * failure that opened the breaker.
 */
export class BackendSkippedError extends BackendError {}

/**
 * A cached function called itself, directly or through other functions, with
 * the same arguments while computing them: waiting for its own result would
 * never end, so the inner call fails at once.
 */
export class CircularCallError extends CachierError {
  /** The id of the function's cache. */
  readonly functionId: string;

  constructor(functionId: string) {
    super(
      `cachier: ${functionId} calls itself with the same arguments while computing them, so it would wait for ` +
        `its own result forever; break the cycle, or call the uncached function for the inner call`,
    );
    this.functionId = functionId;
  }
}

/**
 * A call of an async cached function received no value within its
 * `hardTimeout`, from its own computation or another caller's. The
 * computation goes on and stores its result, which later calls receive.
 */
export class ComputeTimeoutError extends CachierError {
  /** The id of the function's cache. */
  readonly functionId: string;
  /** The `hardTimeout` that passed, in milliseconds. */
  readonly timeoutMs: number;

  constructor(functionId: string, timeoutMs: number) {
    super(
      `cachier: ${functionId} gave no value within hardTimeout (${timeoutMs}ms), so the call was rejected; ` +
        `the computation goes on and stores its result for later calls. Raise hardTimeout, or set timeout ` +
        `to answer with the stale value where there is one`,
    );
    this.functionId = functionId;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The file backend refused a cache folder that someone other than this user
 * could write to (and so plant results in): owned by another user, writable by
 * the group or everyone, or reached through another user's symbolic link.
 * The call goes on without the cache, with a warning (or throws under `strict`).
 */
export class UnsafeCacheDirError extends BackendError {
  /** The folder that failed the check. */
  readonly path: string;

  constructor(path: string, problem: string) {
    super(
      `cachier: refusing the cache folder ${path}: ${problem}, so another user could plant results there. ` +
        `Use a folder only you can write (the cacheDir option or CACHIER_DIR; the default ~/.cachier is created private), ` +
        `fix this one (chown it to yourself, chmod go-w), or, for a cache shared on purpose, ` +
        `set shared: true and the same CACHIER_SHARED_KEY in every process that shares it`,
    );
    this.path = path;
  }
}

/**
 * A package cachier loads only for one route, backend or command (a
 * parser, a driver, a bundler) is missing, or its installed version is one
 * that route does not support. cachier declares these as optional peers
 * without version floors, so `npm install cachier` never fails for them;
 * the check happens here, when the piece is first needed.
 */
export class MissingPeerError extends CachierError {
  /** The npm package that is missing or too old, e.g. `typescript-6`. */
  readonly packageName: string;
  /** The version found, or `undefined` when the package is not installed. */
  readonly foundVersion: string | undefined;

  /**
   * @param neededBy - what needs it, e.g. `the Vite plugin (cachier/vite)`.
   * @param hint - one sentence on how to fix it, with the command to run.
   * @param found - the installed version and the versions `neededBy` supports, when it is installed but unsupported.
   */
  constructor(packageName: string, neededBy: string, hint: string, found?: { version: string; supported: string }) {
    super(
      found === undefined
        ? `cachier: ${neededBy} needs the package ${packageName}, which is not installed. ${hint}`
        : `cachier: ${neededBy} needs ${packageName} ${found.supported}, but ${found.version} is installed. ${hint}`,
    );
    this.packageName = packageName;
    this.foundVersion = found?.version;
  }
}
