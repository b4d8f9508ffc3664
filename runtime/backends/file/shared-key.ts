import { InvalidOptionError } from '../../errors.js';

/** The environment variable holding the key that authenticates a shared cache's entries. */
const SHARED_KEY_VARIABLE = 'CACHIER_SHARED_KEY';
const SHARED_KEY_MIN_LENGTH = 16;

/**
 * The key of a shared cache, from the environment.
 * @throws {@link InvalidOptionError} when it is missing or too short.
 */
export function sharedKey(): Buffer {
  const text = process.env[SHARED_KEY_VARIABLE] ?? '';
  if (text.length < SHARED_KEY_MIN_LENGTH) {
    throw new InvalidOptionError(
      'shared',
      `a shared cache needs ${SHARED_KEY_VARIABLE} in the environment, at least ${SHARED_KEY_MIN_LENGTH} characters, ` +
        `the same in every process that shares the cache (e.g. \`openssl rand -hex 32\`); it is ${text ? 'too short' : 'not set'}`,
    );
  }
  return Buffer.from(text, 'utf8');
}
