import { statSync } from 'node:fs';
import { ModuleGraph, readFromDisk } from './module-graph.js';
import type { TransformStore } from './transform-store.js';

/** What a {@link BuildGraphs} watches for. */
export interface BuildGraphsOptions {
  /**
   * Whether each {@link BuildGraphs.current} call checks (by modification
   * time and size) that the files the current graph read are unchanged on
   * disk, and starts a new graph when one is not: for tools that announce no
   * builds and no file changes (Babel, Jest). Default `false`: the tool calls
   * {@link BuildGraphs.reset} at each build start and file change.
   */
  readonly checkFiles?: boolean;
  /** Rewrites kept between builds (see {@link projectTransformStore}); none by default. */
  readonly store?: TransformStore;
}

/**
 * One {@link ModuleGraph} shared by every transform call of a build (a watch
 * generation, a dev server's life between file changes), so each
 * declaration's own hash and direct dependencies are found once per build, not
 * once per tagged module that reaches them: with a graph per module, hashing
 * grew with tagged functions x reachable declarations. Each graph is made
 * from the last one, so a rebuild after an edit walks again only what the
 * edited files changed (see {@link ModuleGraph}).
 */
export class BuildGraphs {
  private graph: ModuleGraph | undefined;
  /** The graph of the last build, which the next one is made from. */
  private previous: ModuleGraph | undefined;
  /** With `checkFiles`: each file the current graph read, as `mtime:size` at the time (`''` when it could not be read). */
  private readonly stamps = new Map<string, string>();

  constructor(private readonly options: BuildGraphsOptions = {}) {}

  /**
   * The graph of the current build: the one the last call answered, unless a
   * build started or a file changed since.
   * @param handedFile - the file whose text the caller hands the engine (not
   *   read through the graph): with `checkFiles`, watched like the files it reads.
   */
  current(handedFile?: string): ModuleGraph {
    if (this.graph && this.options.checkFiles && this.changedOnDisk()) this.reset();
    this.graph ??= new ModuleGraph(
      this.options.checkFiles ? (fileName) => this.read(fileName) : readFromDisk,
      this.options.store,
      this.previous,
    );
    if (this.options.checkFiles && handedFile !== undefined && !this.stamps.has(handedFile))
      this.stamps.set(handedFile, stampOf(handedFile));
    return this.graph;
  }

  /** Starts a new build: the next {@link current} answers a new graph, which reads every file again. */
  reset(): void {
    this.previous = this.graph ?? this.previous;
    this.graph = undefined;
    this.stamps.clear();
  }

  private read(fileName: string): string | undefined {
    this.stamps.set(fileName, stampOf(fileName));
    return readFromDisk(fileName);
  }

  private changedOnDisk(): boolean {
    for (const [fileName, stamp] of this.stamps) if (stampOf(fileName) !== stamp) return true;
    return false;
  }
}

function stampOf(fileName: string): string {
  const stats = statSync(fileName, { throwIfNoEntry: false });
  return stats ? `${stats.mtimeMs}:${stats.size}` : '';
}
