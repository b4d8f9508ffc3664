/**
 * A mistake in a `@cachier` tag or in what it is attached to, found deep in
 * the analysis. One boundary ({@link analyzeSourceFile}) catches it and turns it into a
 * TypeScript diagnostic at `start`, leaving the function uncached, so the
 * build fails with file:line:column instead of crashing or going quiet.
 */
export class TagProblem extends Error {
  constructor(
    /** File offset the diagnostic points at. */
    readonly start: number,
    /** How many characters it underlines. */
    readonly length: number,
    message: string,
  ) {
    super(message);
    this.name = 'TagProblem';
  }
}
