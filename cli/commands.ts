import picomatch from 'picomatch';
import { basename } from 'node:path';
import { CliError, EXIT } from './exit-codes.js';
import {
  sum,
  type CacheInspector,
  type EntryInfo,
  type FunctionInfo,
  type Removal,
  type RemovalKind,
  type VersionInfo,
} from '../runtime/backends/shared/inspection.js';
import {
  carryOut,
  confirm,
  counted,
  formatAge,
  formatBytes,
  formatDuration,
  progressBar,
  table,
  type Output,
  type RemovalOutcome,
} from './output.js';

/** What every command is handed. */
export interface Context {
  readonly inspector: CacheInspector;
  readonly output: Output;
}

/** Options of the commands that delete. */
export interface DeleteOptions {
  readonly yes: boolean;
  readonly dryRun: boolean;
}

/**
 * Functions whose id (or folder name) equals or matches one of `patterns`;
 * `*` also crosses `/`. Equality first, so ids holding glob characters
 * (`[`, `{`, `!`) can always be named as they are.
 */
function matching(functions: readonly FunctionInfo[], patterns: readonly string[]): FunctionInfo[] {
  if (patterns.length === 0) return [...functions];
  const isMatch = picomatch(patterns as string[], { bash: true, dot: true });
  const named = (name: string): boolean => patterns.includes(name) || isMatch(name);
  const found = functions.filter((fn) => named(fn.id) || named(basename(fn.location)));
  if (found.length === 0) {
    throw new CliError(`no cached function matches ${patterns.join(', ')} (see \`cachier ls\` for the ids)`, EXIT.noMatch);
  }
  return found;
}

function current(fn: FunctionInfo): VersionInfo | undefined {
  return fn.versions.find((version) => version.current);
}

function markCell(version: VersionInfo | undefined): string {
  const live = version?.marks.filter((mark) => mark.live) ?? [];
  return live.map((mark) => `pid ${mark.pid ?? '?'}@${mark.host ?? '?'}, ${formatDuration(mark.leaseLeftMs)} left`).join('; ') || '-';
}

function staleCell(version: VersionInfo | undefined): string {
  if (!version || version.stale === null) return '?';
  return `${version.stale} (>${formatDuration(version.staleAfterMs ?? Infinity)})`;
}

/** `cachier ls`: one line per function. */
export async function list(context: Context, patterns: readonly string[], staleAfterMs: number | undefined): Promise<void> {
  const { inspector, output } = context;
  const functions = matching(await inspector.functions(staleAfterMs), patterns);
  if (output.json) {
    output.print(JSON.stringify({ store: inspector.description, functions }, null, 2));
    return;
  }
  if (functions.length === 0) {
    output.print(`No caches in ${inspector.description}.`);
    return;
  }
  const now = Date.now();
  const rows = functions.map((fn) => {
    const live = current(fn);
    const old = fn.versions.filter((version) => !version.current);
    return [
      fn.id,
      fn.backend,
      String(live?.entries ?? 0),
      formatBytes(live?.bytes ?? 0),
      formatAge(live?.oldest ?? null, now),
      formatAge(live?.newest ?? null, now),
      staleCell(live),
      old.length === 0 ? '-' : `${old.length} (${formatBytes(sum(old.map((version) => version.bytes)))})`,
      markCell(live),
    ];
  });
  output.print(
    table(output, ['function', 'backend', 'entries', 'size', 'oldest', 'newest', 'stale', 'old versions', 'being calculated'], rows),
  );
  output.print(output.colors.dim(`${counted(functions.length, 'function')} in ${inspector.description}`));
}

/** `cachier show <id>`: one function's versions, entries and marks. */
export async function show(context: Context, id: string, staleAfterMs: number | undefined, limit: number): Promise<void> {
  const { inspector, output } = context;
  const functions = await inspector.functions(staleAfterMs);
  const exact = functions.filter((fn) => fn.id === id || basename(fn.location) === id);
  const found = exact.length > 0 ? exact : matching(functions, [id]);
  if (found.length > 1) {
    throw new CliError(`${id} matches ${found.length} functions (${found.map((fn) => fn.id).join(', ')}); name one`, EXIT.usage);
  }
  const fn = found[0] as FunctionInfo;
  const entries = (await inspector.entries(fn, staleAfterMs)).sort((a, b) => (b.computedAt ?? 0) - (a.computedAt ?? 0));
  const shown = limit > 0 ? entries.slice(0, limit) : entries;
  if (output.json) {
    output.print(JSON.stringify({ function: fn, entries: shown, totalEntries: entries.length }, null, 2));
    return;
  }
  const now = Date.now();
  const { bold, dim } = output.colors;
  output.print(`${bold(fn.id)}\n  source file: ${fn.sourceFile ?? '-'}\n  backend:     ${fn.backend}\n  location:    ${fn.location}`);
  output.print(`\n${bold('Versions')}`);
  output.print(
    table(
      output,
      ['source hash', 'state', 'last used', 'entries', 'size', 'stale', 'marks'],
      fn.versions.map((version) => [
        version.sourceHash ?? '?',
        version.current ? 'current' : 'old',
        formatAge(version.lastUsed, now),
        String(version.entries),
        formatBytes(version.bytes),
        staleCell(version),
        String(version.marks.length),
      ]),
    ),
  );
  output.print(`\n${bold('Entries')} ${dim(`(${shown.length} newest of ${entries.length}${limit > 0 ? '; --limit 0 for all' : ''})`)}`);
  if (shown.length > 0)
    output.print(
      table(
        output,
        ['key', 'source hash', 'age', 'size', 'stale'],
        shown.map((entry) => entryRow(entry, now)),
      ),
    );
  const marks = fn.versions.flatMap((version) => version.marks);
  if (marks.length > 0) {
    output.print(`\n${bold('Being calculated')}`);
    output.print(
      table(
        output,
        ['key', 'owner', 'state', 'lease left'],
        marks.map((mark) => [
          mark.key.slice(0, 16),
          `pid ${mark.pid ?? '?'} on ${mark.host ?? '?'}`,
          mark.live ? 'live' : 'expired',
          formatDuration(mark.leaseLeftMs),
        ]),
      ),
    );
  }
}

function entryRow(entry: EntryInfo, now: number): string[] {
  return [
    entry.key.slice(0, 16),
    entry.sourceHash?.slice(0, 16) ?? '?',
    formatAge(entry.computedAt, now),
    formatBytes(entry.bytes),
    entry.stale === null ? '?' : entry.stale ? 'yes' : 'no',
  ];
}

/** The JSON form of a removal (its `remove` left out). */
function removalJson(removal: Removal): object {
  const { remove: _remove, ...fields } = removal;
  return fields;
}

const KIND_NAMES: Readonly<Record<RemovalKind, readonly [string, string]>> = {
  entries: ['version cleared', 'versions cleared'],
  'old version': ['old version', 'old versions'],
  'stale entry': ['stale entry', 'stale entries'],
  'expired mark': ['expired mark', 'expired marks'],
  leftover: ['leftover', 'leftovers'],
  'unreadable entry': ['unreadable entry', 'unreadable entries'],
};

/** Totals by kind: `3 old versions (1.2 MiB), 120 stale entries (4.1 MiB)`. */
function describeRemovals(removals: readonly Removal[]): string {
  const kinds = new Map<RemovalKind, { count: number; bytes: number }>();
  for (const removal of removals) {
    const kind = kinds.get(removal.kind) ?? { count: 0, bytes: 0 };
    kind.count++;
    kind.bytes += removal.bytes;
    kinds.set(removal.kind, kind);
  }
  return [...kinds]
    .map(([kind, { count, bytes }]) => `${count} ${KIND_NAMES[kind][count === 1 ? 0 : 1]} (${formatBytes(bytes)})`)
    .join(', ');
}

function removalTable(output: Output, removals: readonly Removal[]): string {
  const byFunction = new Map<string, Removal[]>();
  for (const removal of removals) {
    const items = byFunction.get(removal.functionId);
    if (items) items.push(removal);
    else byFunction.set(removal.functionId, [removal]);
  }
  return table(
    output,
    ['function', 'removes', 'entries', 'size'],
    [...byFunction].map(([id, items]) => [
      id,
      describeRemovals(items),
      String(sum(items.map((item) => item.entries))),
      formatBytes(sum(items.map((item) => item.bytes))),
    ]),
  );
}

/**
 * Asks before deleting: on a terminal a prompt, off one only `--yes`.
 * @throws {@link CliError} with {@link EXIT.refused} when declined or not allowed.
 */
async function approve(output: Output, options: DeleteOptions, question: string): Promise<void> {
  if (options.yes) return;
  if (!output.interactive) {
    throw new CliError('not on a terminal: add --yes to delete, or --dry-run to see what would be deleted', EXIT.refused);
  }
  if (!(await confirm(question))) throw new CliError('nothing deleted', EXIT.refused);
}

/** Shows what `removals` would take, asks, removes, and reports what was freed. */
async function remove(
  context: Context,
  verb: string,
  removals: readonly Removal[],
  options: DeleteOptions,
): Promise<RemovalOutcome | undefined> {
  const { output } = context;
  const entries = sum(removals.map((removal) => removal.entries));
  const bytes = sum(removals.map((removal) => removal.bytes));
  if (options.dryRun || removals.length === 0) {
    if (output.json) {
      output.print(JSON.stringify({ dryRun: options.dryRun, wouldRemove: removals.map(removalJson), entries, bytes }, null, 2));
    } else if (removals.length === 0) {
      output.print(`Nothing to ${verb}.`);
    } else {
      output.print(removalTable(output, removals));
      output.print(`Would remove ${entries} entries, ${formatBytes(bytes)} (dry run: nothing deleted).`);
    }
    return undefined;
  }
  if (!output.json) output.print(removalTable(output, removals));
  await approve(output, options, `Remove ${entries} entries (${formatBytes(bytes)})?`);
  const outcome = await carryOut(output, verb, removals);
  const freed = sum(outcome.removed.map((removal) => removal.bytes));
  const removedEntries = sum(outcome.removed.map((removal) => removal.entries));
  if (output.json) {
    output.print(
      JSON.stringify(
        { removed: outcome.removed.map(removalJson), kept: outcome.kept.map(removalJson), entries: removedEntries, bytes: freed },
        null,
        2,
      ),
    );
  } else {
    const kept = outcome.kept.length > 0 ? ` ${outcome.kept.length} changed since the scan and were left alone.` : '';
    output.print(
      output.colors.green(`Removed ${removedEntries} ${removedEntries === 1 ? 'entry' : 'entries'}, freed ${formatBytes(freed)}.`) + kept,
    );
  }
  return outcome;
}

/** `cachier clear <id|glob...>` / `cachier clear --all`. */
export async function clear(context: Context, patterns: readonly string[], all: boolean, options: DeleteOptions): Promise<void> {
  if (patterns.length === 0 && !all) throw new CliError('name the functions to clear (ids or patterns), or pass --all', EXIT.usage);
  if (patterns.length > 0 && all) throw new CliError('give either function ids or --all, not both', EXIT.usage);
  const functions = matching(await context.inspector.functions(undefined), patterns);
  await remove(context, 'clear', await context.inspector.clearPlan(functions), options);
}

/** `cachier prune`. */
export async function prune(
  context: Context,
  patterns: readonly string[],
  policy: { staleAfterMs: number | undefined; unusedForMs: number },
  options: DeleteOptions,
): Promise<void> {
  const functions = matching(await context.inspector.functions(policy.staleAfterMs), patterns);
  await remove(context, 'prune', await context.inspector.prunePlan(functions, policy), options);
}

/** `cachier verify`: answers whether unreadable entries remain. */
export async function verify(context: Context, patterns: readonly string[], fix: boolean, options: DeleteOptions): Promise<boolean> {
  const { inspector, output } = context;
  const functions = matching(await inspector.functions(undefined), patterns);
  const total = sum(functions.flatMap((fn) => fn.versions.map((version) => version.entries)));
  const bar = output.progress ? progressBar('verify', total) : undefined;
  let read = 0;
  let problems: Removal[];
  try {
    problems = await inspector.verifyPlan(functions, () => {
      read++;
      if (read % 500 === 0) bar?.update(read);
    });
  } finally {
    bar?.stop();
  }
  if (!fix || problems.length === 0) {
    if (output.json) {
      output.print(JSON.stringify({ read, unreadable: problems.map(removalJson) }, null, 2));
    } else {
      output.print(`Read ${counted(read, 'entry', 'entries')} of ${counted(functions.length, 'function')}: ${problems.length} unreadable.`);
      if (problems.length > 0) {
        output.print(
          table(
            output,
            ['function', 'entry', 'problem'],
            problems.map((problem) => [problem.functionId, problem.target, problem.problem ?? '']),
          ),
        );
        output.print('Unreadable entries count as misses; `cachier verify --fix` removes them.');
      }
    }
    return problems.length > 0;
  }
  const outcome = await remove(context, 'fix', problems, options);
  return outcome === undefined;
}

/** `cachier stats`: sizes per function and their share of the cache. */
export async function stats(context: Context, patterns: readonly string[], staleAfterMs: number | undefined): Promise<void> {
  const { inspector, output } = context;
  const functions = matching(await inspector.functions(staleAfterMs), patterns);
  const totalBytes = sum(functions.flatMap((fn) => fn.versions.map((version) => version.bytes)));
  const rows = functions.map((fn) => {
    // Entries, bytes and stale entries of the same versions (all of them: what the cache holds).
    const bytes = sum(fn.versions.map((version) => version.bytes));
    const judged = fn.versions.every((version) => version.stale !== null);
    return {
      id: fn.id,
      entries: sum(fn.versions.map((version) => version.entries)),
      bytes,
      share: totalBytes > 0 ? bytes / totalBytes : 0,
      stale: judged && fn.versions.length > 0 ? sum(fn.versions.map((version) => version.stale ?? 0)) : null,
      versions: fn.versions.length,
      // No backend stores call counts: each process keeps its own (fn.cacheInfo()).
      hits: null,
      misses: null,
      hitRate: null,
    };
  });
  if (output.json) {
    output.print(JSON.stringify({ store: inspector.description, totalBytes, functions: rows }, null, 2));
    return;
  }
  output.print(
    table(
      output,
      ['function', 'entries', 'size', 'share', 'stale', 'versions'],
      rows.map((row) => [
        row.id,
        String(row.entries),
        formatBytes(row.bytes),
        `${(row.share * 100).toFixed(1)}%`,
        row.stale === null ? '?' : String(row.stale),
        String(row.versions),
      ]),
    ),
  );
  output.print(`Total ${formatBytes(totalBytes)} in ${counted(functions.length, 'function')} (${inspector.description}).`);
  output.print(
    output.colors.dim('Hits and misses are counted per process, not stored by any backend: read them with fn.cacheInfo() in the process.'),
  );
}
