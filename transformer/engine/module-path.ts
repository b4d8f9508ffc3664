import { existsSync } from 'node:fs';

const packageRoots = new Map<string, string | undefined>();

/**
 * A module's path relative to its package (the nearest folder with a
 * `package.json`), with forward slashes: `src/prices.ts`. It is the same on
 * every machine and OS, wherever the project is checked out, so ids built from
 * it name the same cache everywhere.
 */
export function modulePathOf(fileName: string): string {
  const normalized = fileName.replace(/\\/g, '/');
  const directory = normalized.slice(0, normalized.lastIndexOf('/'));
  const root = packageRootOf(directory);
  return root === undefined ? normalized.slice(normalized.lastIndexOf('/') + 1) : normalized.slice(root.length + 1);
}

function packageRootOf(directory: string): string | undefined {
  if (packageRoots.has(directory)) return packageRoots.get(directory);
  let root: string | undefined;
  for (let at = directory; at !== ''; at = at.slice(0, Math.max(0, at.lastIndexOf('/')))) {
    if (existsSync(`${at}/package.json`)) {
      root = at;
      break;
    }
    if (!at.includes('/')) break;
  }
  packageRoots.set(directory, root);
  return root;
}
