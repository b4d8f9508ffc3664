import type { ModuleAnalysis } from './analyze.js';
import { GENERATED_MARKER } from './analyze.js';

const CONTROLS = ['clearCache', 'clearBeingCalculated', 'precache', 'forget', 'cacheInfo', 'withOptions'];

/**
 * Declarations that make the generated names visible to the type checker and
 * in emitted `.d.ts` files, to append at the end of a module (so every
 * original position stays valid): a namespace merged with each tagged
 * top-level function declaration holding its controls, and the module's
 * `clearCache()`. They are ambient, so they emit no code. Answers `''` when
 * the module needs none.
 */
export function generatedDeclarations(analysis: ModuleAnalysis): string {
  const lines: string[] = [];
  for (const tagged of analysis.functions.values()) {
    if (!tagged.mergeable) continue;
    const controls = `import("cachier").CacheControls<typeof ${tagged.name}>`;
    lines.push(
      `${tagged.exported ? 'export ' : ''}declare namespace ${tagged.name} {`,
      ...CONTROLS.map((control) => `  const ${control}: ${controls}["${control}"];`),
      '}',
    );
  }
  if (analysis.exportsClearCache) {
    lines.push('/** Clears the caches of every cached function of this module. */', 'export declare function clearCache(): Promise<void>;');
  }
  return lines.length === 0 ? '' : `\n${GENERATED_MARKER}\n${lines.join('\n')}\n`;
}
