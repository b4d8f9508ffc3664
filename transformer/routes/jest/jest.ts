/**
 * The Jest transformer of cachier: babel-jest, whose cache also follows the
 * helpers a tagged function uses. babel-jest keys its on-disk cache by the
 * file's own text and the Babel config, so after an edit to a helper Jest
 * would keep running the tagged module as it was rewritten before, with the
 * function's old source hash. This transformer adds the tagged functions'
 * source hashes (which cover their helpers) to the key; the rewrite itself is
 * the `cachier/babel` plugin of your Babel config.
 *
 * @example
 * ```json
 * // jest.config.json (with "plugins": ["cachier/babel"] in babel.config.json)
 * { "transform": { "\\.[jt]sx?$": "cachier/jest" } }
 * ```
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import babelJest, { type TransformerConfig } from 'babel-jest';
import { BuildGraphs, projectTransformStore, transformModule } from '../../engine/index.js';

type BabelTransformer = Awaited<ReturnType<typeof babelJest.createTransformer>>;

/** The modules this worker has read, shared by its cache-key calls until one changes on disk. */
const graphs = new BuildGraphs({ checkFiles: true, store: projectTransformStore() });

/** `key` extended with the source hashes of the module's tagged functions. */
function withSourceHashes(key: string, source: string, fileName: string): string {
  if (!source.includes('@cachier')) return key;
  const { functions } = transformModule({ code: source, fileName, graph: graphs.current(fileName) });
  if (functions.length === 0) return key;
  return createHash('sha256')
    .update(key)
    .update(functions.map((fn) => `${fn.id}:${fn.sourceHash}`).join('\n'))
    .digest('hex');
}

/** The transformer factory Jest loads, taking babel-jest's options. */
const cachierJest = {
  async createTransformer(options?: TransformerConfig): Promise<BabelTransformer> {
    const babel = await babelJest.createTransformer(options);
    return {
      ...babel,
      getCacheKey: (source, fileName, transformOptions) =>
        withSourceHashes(babel.getCacheKey?.(source, fileName, transformOptions) ?? '', source, fileName),
      getCacheKeyAsync: async (source, fileName, transformOptions) =>
        withSourceHashes((await babel.getCacheKeyAsync?.(source, fileName, transformOptions)) ?? '', source, fileName),
    };
  },
};

export default cachierJest;
