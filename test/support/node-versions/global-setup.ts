import { ensureNodeVersions } from './node-versions.js';

/** Vitest global setup: Node 22 and 24 are there before any test needs them. */
export default function setup(): void {
  ensureNodeVersions();
}
