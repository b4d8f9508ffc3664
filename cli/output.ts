import { createInterface } from 'node:readline/promises';
import cliProgress from 'cli-progress';
import Table from 'cli-table3';
import picocolors from 'picocolors';
import type { Removal } from '../runtime/backends/shared/inspection.js';

/** The colour functions in use: real ones on a terminal, identity functions otherwise. */
export type Colors = ReturnType<typeof picocolors.createColors>;

/** How the command talks to the person or script running it. */
export interface Output {
  readonly colors: Colors;
  /** Print JSON instead of tables. */
  readonly json: boolean;
  /** Both stdin and stdout are terminals: prompts can be answered. */
  readonly interactive: boolean;
  /** Progress bars go to stderr when it is a terminal and output is not JSON. */
  readonly progress: boolean;
  print(text: string): void;
}

/**
 * Colours only on a terminal and never with `NO_COLOR` (https://no-color.org)
 * or `--no-color`; `FORCE_COLOR` turns them on anywhere.
 */
export function createOutput(options: { json: boolean; color: boolean }): Output {
  const env = process.env;
  const colorWanted =
    options.color && !('NO_COLOR' in env && env['NO_COLOR'] !== '') && (Boolean(process.stdout.isTTY) || 'FORCE_COLOR' in env);
  return {
    colors: picocolors.createColors(colorWanted && !options.json),
    json: options.json,
    interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    progress: Boolean(process.stderr.isTTY) && !options.json,
    print: (text) => process.stdout.write(`${text}\n`),
  };
}

/** A table drawn with box lines on a terminal, as plain aligned columns elsewhere. */
export function table(output: Output, head: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const boxed = Boolean(process.stdout.isTTY);
  const drawn = new Table({
    head: head.map((title) => output.colors.bold(title)),
    style: { head: [], border: [], compact: true, ...(boxed ? {} : { 'padding-left': 0, 'padding-right': 0 }) },
    ...(boxed ? {} : { chars: PLAIN_CHARS }),
  });
  drawn.push(...rows.map((row) => [...row]));
  return boxed ? drawn.toString() : drawn.toString().replace(/ +$/gm, '');
}

// Off a terminal, columns separated by two spaces and no box lines: easy to grep and cut.
const PLAIN_CHARS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

/** `1 function`, `2 functions`: a count with its noun. */
export function counted(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** `0 B`, `812 B`, `1.5 KiB`, `12.3 MiB` (powers of 1024, as the `entrySizeLimit` option reads sizes). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

const SPANS: ReadonlyArray<readonly [string, number]> = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
];

/** A length of time in the duration syntax of the tag, to two units: `3d4h`, `5m12s`, `850ms`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'never';
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of SPANS) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    } else if (parts.length > 0) {
      break;
    }
  }
  return parts.join('');
}

/** How long ago `time` was, or `-` when unknown. */
export function formatAge(time: number | null, now: number): string {
  return time === null ? '-' : `${formatDuration(now - time)} ago`;
}

/** Asks a yes/no question on the terminal; only an explicit yes is yes. */
export async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    prompt.close();
  }
}

/** What carrying out removals did. */
export interface RemovalOutcome {
  /** Removed as planned. */
  readonly removed: readonly Removal[];
  /** Changed since planned (rewritten fresh, taken over, already gone) and left alone. */
  readonly kept: readonly Removal[];
}

/**
 * Removals in flight at once: each is a few file-system calls that mostly
 * wait on the disk, so keeping libuv's four threads busy finished 10,000
 * removals in 1.9-2.4 s where one at a time took 3.6 s (a loaded 2-core machine).
 */
const CONCURRENT_REMOVALS = 8;

/** Carries out `removals`, with a progress bar on a terminal; the outcome keeps their order. */
export async function carryOut(output: Output, label: string, removals: readonly Removal[]): Promise<RemovalOutcome> {
  const done = new Array<boolean>(removals.length);
  const bar = output.progress ? progressBar(label, removals.length) : undefined;
  let next = 0;
  let finished = 0;
  const worker = async (): Promise<void> => {
    while (next < removals.length) {
      const index = next++;
      done[index] = await (removals[index] as Removal).remove();
      bar?.update(++finished);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(CONCURRENT_REMOVALS, removals.length) }, worker));
  } finally {
    bar?.stop();
  }
  return { removed: removals.filter((_, index) => done[index]), kept: removals.filter((_, index) => !done[index]) };
}

/** A progress bar on stderr, cleared when stopped so the summary that follows stands alone. */
export function progressBar(label: string, total: number): cliProgress.SingleBar {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% {value}/{total} {eta_formatted} left`,
      stream: process.stderr,
      clearOnComplete: true,
      hideCursor: true,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return bar;
}
