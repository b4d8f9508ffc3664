import type * as TS from 'typescript';

/**
 * The TypeScript API the transformer is handed (by ts-patch, tsserver, or the
 * Vite plugin's own import). An ES module's view of the `typescript` package
 * adds a `default` export that a CommonJS caller's does not; nothing here uses
 * it, so it is left out and both fit.
 */
export type TypeScript = Omit<typeof TS, 'default'>;
