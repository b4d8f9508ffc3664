import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BackendDescriptor } from '../runtime/backends/descriptor.js';
import { backendNamed, backends } from '../runtime/backends/registry.js';
import type { CacheInspector, InspectorModule, InspectorOptions } from '../runtime/backends/shared/inspection.js';
import { resolveOptions } from '../runtime/options.js';
import { CliError, EXIT } from './exit-codes.js';

/** How the command was told where the caches are. */
export interface TargetOptions {
  readonly dir?: string | undefined;
  readonly config?: string | undefined;
  readonly mongoUri?: string | undefined;
  readonly mongoDb?: string | undefined;
  readonly mongoCollection?: string | undefined;
  readonly redis?: string | undefined;
  readonly postgres?: string | undefined;
  readonly s3?: string | undefined;
  readonly s3Endpoint?: string | undefined;
}

/** Config files used when present in the current folder, in this order. */
export const CONFIG_FILES = ['cachier.config.mjs', 'cachier.config.js'];

/** The options object a config module exports by default (what the application passes to `setDefaults`). */
async function loadConfig(path: string): Promise<InspectorOptions> {
  let loaded: { default?: unknown };
  try {
    loaded = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (error) {
    throw new CliError(`cannot load the config ${path}: ${(error as Error).message}`, EXIT.usage);
  }
  const options = await loaded.default;
  if (typeof options !== 'object' || options === null) {
    throw new CliError(
      `the config ${path} must export by default the options object your application passes to setDefaults, e.g. export default { backend: 'redis', redis: new Redis(url) }`,
      EXIT.usage,
    );
  }
  return options as InspectorOptions;
}

/** The config to use: `--config`, else a `cachier.config.mjs` (or `.js`) in the current folder, unless `-d` names a folder. */
function configPath(options: TargetOptions): string | undefined {
  if (options.config) return resolve(options.config);
  if (options.dir !== undefined) return undefined;
  return CONFIG_FILES.map((name) => resolve(name)).find((path) => existsSync(path));
}

/** The inspector module of `backend`, loaded now (with its driver, for a server backend). */
async function inspectorOf(backend: string): Promise<InspectorModule> {
  const load = backendNamed(backend)?.loadInspector;
  if (!load) {
    const known = (backends as readonly BackendDescriptor[]).flatMap((other) => (other.loadInspector ? [other.name] : [])).join(', ');
    throw new CliError(`the ${backend} backend keeps no cache the command can read (it can read ${known})`, EXIT.usage);
  }
  return load();
}

async function open(backend: string, options: InspectorOptions): Promise<CacheInspector> {
  return (await inspectorOf(backend)).openInspector(options);
}

/**
 * Opens the inspector of the caches the options point at: a shell shortcut
 * (`--redis`, `--postgres`, `--s3`, `--mongo-uri`), a config module, or the
 * file backend's folder (`-d`, `$CACHIER_DIR`, `~/.cachier`).
 */
export async function openTarget(options: TargetOptions): Promise<CacheInspector> {
  const shortcuts = (
    [
      ['mongo', options.mongoUri, '--mongo-uri'],
      ['redis', options.redis, '--redis'],
      ['postgres', options.postgres, '--postgres'],
      ['s3', options.s3, '--s3'],
    ] as const
  ).filter(([, address]) => address !== undefined && address !== '');
  if (shortcuts.length > 1) throw new CliError(`give one of ${shortcuts.map(([, , flag]) => flag).join(', ')}, not several`, EXIT.usage);
  const [shortcut] = shortcuts;
  if (shortcut) {
    const [backend, address, flag] = shortcut;
    if (options.config || options.dir !== undefined)
      throw new CliError(`${flag} names the caches already: leave out --config and --dir`, EXIT.usage);
    const module = await inspectorOf(backend);
    if (!module.optionsForAddress || address === undefined)
      throw new CliError(`${flag} is not available for the ${backend} backend`, EXIT.usage);
    const details = { endpoint: options.s3Endpoint, database: options.mongoDb, collection: options.mongoCollection };
    return module.openInspector(await module.optionsForAddress(address, details));
  }
  const config = configPath(options);
  if (config) {
    const loaded = await loadConfig(config);
    const backend = typeof loaded['backend'] === 'string' ? loaded['backend'] : 'file';
    if (backend !== 'file') return open(backend, loaded);
    return open('file', {
      ...loaded,
      cacheDir: resolveOptions({ cacheDir: options.dir ?? (loaded['cacheDir'] as string | undefined) }, {}).cacheDir,
    });
  }
  return open('file', { cacheDir: resolveOptions({ cacheDir: options.dir }, {}).cacheDir });
}
