import type { CoreSettings } from '../../core.js';
import type { DiskPlan } from './disk.js';
import { writeAtomically, type Modes } from './files.js';
import type { VersionLayout, VersionManifest } from './layout.js';

// Version folders whose manifest this process has written.
const written = new Set<string>();

/** The manifest describing the cache of `settings`' function version. */
export function manifestOf(settings: CoreSettings): VersionManifest {
  const hashAt = settings.functionId.lastIndexOf('#');
  const staleAfterMs = settings.policy?.staleAfterMs ?? Infinity;
  return {
    functionId: settings.functionId,
    sourceFile: hashAt > 0 ? settings.functionId.slice(0, hashAt) : null,
    functionName: hashAt > 0 ? settings.functionId.slice(hashAt + 1) : null,
    sourceHash: settings.sourceHash,
    staleAfterMs: Number.isFinite(staleAfterMs) ? staleAfterMs : null,
    nextTime: settings.policy?.nextTime ?? false,
    writtenAt: new Date().toISOString(),
  };
}

/**
 * Writes the version's `manifest.json` once per process (at its first
 * claim or store, when the folder exists anyway). A failure is only reported: the
 * manifest explains the cache but never decides what is served.
 */
export function* writeManifestOnce(layout: VersionLayout, settings: CoreSettings, modes: Modes): DiskPlan<void> {
  if (written.has(layout.versionDir)) return;
  written.add(layout.versionDir);
  try {
    yield* writeAtomically(layout.manifest, Buffer.from(`${JSON.stringify(manifestOf(settings), null, 2)}\n`, 'utf8'), modes);
  } catch (error) {
    settings.log.debug(`could not write ${layout.manifest}: ${String(error)}`);
  }
}
