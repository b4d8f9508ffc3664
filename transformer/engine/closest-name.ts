// The runtime's "did you mean", one implementation for options and tags.
export { closestName } from '../../runtime/options/closest-name.js';
