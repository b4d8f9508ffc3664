// The options, split by job under options/: public types, the catalog (every
// option once, with its kind, places and default), validation and resolution.
export type * from './options/types.js';
export { resolveOptions, effectiveDefaults } from './options/resolve.js';
export { impliedBackend, validateCallOptions, validateDefaults, validateOptions } from './options/validate.js';
