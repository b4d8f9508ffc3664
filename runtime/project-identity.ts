/*
 * The default cache id of a function: `<project>:<module path>#<qualified name>`, e.g.
 * `my-app:src/prices.ts#fetchPrice`. The runtime (deriving an id at `cachier()`) and every
 * tag route (building it at compile time) compute it here, each reading files through its
 * finder over the same disk ({@link projectOnDisk}), so both name the same cache.
 *
 * The project part keeps two projects on one machine apart: without it, the same module path
 * and function name in two checkouts named one cache, and each project's version of the
 * function counted as the other's old version, which cleanup deletes.
 */

import { existsSync, readFileSync } from 'node:fs';

/** How the rule reads the disk: paths with forward slashes. */
export interface ProjectFiles {
  exists(path: string): boolean;
  /** The file's text, or `undefined` when it cannot be read. */
  read(path: string): string | undefined;
}

/** Where a module belongs, for the ids of its functions. */
export interface ModuleProject {
  /**
   * The nearest folder above the module holding a `package.json`, or the module's own folder
   * without one. Source hashes name the modules a function reaches relative to it.
   */
  readonly packageRoot: string;
  /**
   * The project's name: the `name` of the nearest `package.json` that has one (a package
   * installed in `node_modules` is so named the same wherever it is used), else the folder
   * name of {@link packageRoot}; empty only for a module at the root of the file system.
   */
  readonly name: string;
  /** The folder {@link name} belongs to: the module path in an id is relative to it. */
  readonly root: string;
}

/** What each folder's `package.json` holds: none, one without a name, or the name. */
type PackageFile = { readonly name: string | undefined } | undefined;

/**
 * Finds the project of modules, remembering what each folder holds so a build of many
 * modules reads each `package.json` once.
 */
export function projectFinder(files: ProjectFiles): (moduleFile: string) => ModuleProject {
  const packageFiles = new Map<string, PackageFile>();
  const projects = new Map<string, ModuleProject>();

  const packageFileIn = (folder: string): PackageFile => {
    if (packageFiles.has(folder)) return packageFiles.get(folder);
    const path = `${folder.endsWith('/') ? folder : `${folder}/`}package.json`;
    const found = files.exists(path) ? { name: nameIn(files.read(path)) } : undefined;
    packageFiles.set(folder, found);
    return found;
  };

  return (moduleFile) => {
    const normalized = moduleFile.replace(/\\/g, '/');
    const moduleFolder = parentOf(normalized) ?? '';
    const known = projects.get(moduleFolder);
    if (known) return known;
    let packageRoot: string | undefined;
    let named: { root: string; name: string } | undefined;
    for (let folder = moduleFolder || undefined; folder !== undefined && named === undefined; folder = parentOf(folder)) {
      const packageFile = packageFileIn(folder);
      if (packageFile === undefined) continue;
      packageRoot ??= folder;
      if (packageFile.name !== undefined) named = { root: folder, name: packageFile.name };
    }
    packageRoot ??= moduleFolder;
    const project = { packageRoot, ...(named ?? { root: packageRoot, name: baseName(packageRoot) }) };
    projects.set(moduleFolder, project);
    return project;
  };
}

/** The default id of the function `qualifiedName` declared in `moduleFile` of `project`. */
export function defaultFunctionId(project: ModuleProject, moduleFile: string, qualifiedName: string): string {
  const modulePath = pathInside(project.root, moduleFile);
  return project.name === '' ? `${modulePath}#${qualifiedName}` : `${project.name}:${modulePath}#${qualifiedName}`;
}

/** `moduleFile`'s path inside `folder` (one of its ancestors), with forward slashes: `src/prices.ts`. */
export function pathInside(folder: string, moduleFile: string): string {
  const normalized = moduleFile.replace(/\\/g, '/');
  if (folder === '') return normalized;
  return normalized.slice(folder.length + (folder.endsWith('/') ? 0 : 1));
}

/** A `package.json`'s `name`; a file that is no JSON object or names nothing counts as unnamed. */
function nameIn(text: string | undefined): string | undefined {
  try {
    const name: unknown = text === undefined ? undefined : (JSON.parse(text) as { name?: unknown } | null)?.name;
    return typeof name === 'string' && name.trim() !== '' ? name.trim() : undefined;
  } catch {
    return undefined;
  }
}

/** The folder holding `path`; `undefined` at the root (`/`, `C:/`) or for a bare name. */
function parentOf(path: string): string | undefined {
  const slash = path.lastIndexOf('/');
  if (slash === -1 || path === '/' || /^[A-Za-z]:\/?$/.test(path)) return undefined;
  if (slash === 0) return '/';
  const parent = path.slice(0, slash);
  return /^[A-Za-z]:$/.test(parent) ? `${parent}/` : parent;
}

function baseName(folder: string): string {
  const trimmed = folder.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1).replace(/^[A-Za-z]:$/, '');
}

/** The project of a module file on this machine's disk, each folder's `package.json` read once per process. */
export const projectOnDisk: (moduleFile: string) => ModuleProject = projectFinder({
  exists: (path) => existsSync(path),
  read: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
});
