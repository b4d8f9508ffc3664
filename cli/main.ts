#!/usr/bin/env node
/**
 * The `cachier` command: see, clear, prune and verify caches from the shell,
 * and check a project's setup (`cachier doctor`). Exit codes: see {@link EXIT}.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { parseDuration } from '../runtime/duration.js';
import { MissingDriverError, NotACacheError } from '../runtime/backends/shared/inspection.js';
import { BackendError, CachierError } from '../runtime/errors.js';
import { resolveOptions } from '../runtime/options.js';
import { clear, list, prune, show, stats, verify, type Context, type DeleteOptions } from './commands.js';
import { doctor } from './doctor.js';
import { CliError, EXIT } from './exit-codes.js';
import { createOutput } from './output.js';
import { openTarget, type TargetOptions } from './target.js';

interface GlobalOptions extends TargetOptions {
  readonly color: boolean;
}

interface CommandOptions extends GlobalOptions {
  readonly json?: boolean;
  readonly yes?: boolean;
  readonly dryRun?: boolean;
  readonly staleAfter?: string;
  readonly unusedFor?: string;
  readonly all?: boolean;
  readonly fix?: boolean;
  readonly limit?: string;
}

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** A duration option's value in milliseconds, or a usage error naming the option. */
function duration(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseDuration(value);
  } catch (error) {
    throw new CliError(`${option}: ${(error as Error).message}`, EXIT.usage);
  }
}

/** Runs `action` with an inspector and output for the command's options, closing the inspector (and its connection) after. */
function withContext<Args extends unknown[]>(
  // biome-ignore lint/suspicious/noConfusingVoidType: a command answers its exit code, or nothing for 0.
  run: (context: Context, options: CommandOptions, ...args: Args) => Promise<number | void>,
): (...args: unknown[]) => Promise<void> {
  return async (...args) => {
    const command = args.at(-1) as Command;
    const options = command.optsWithGlobals<CommandOptions>();
    const output = createOutput({ json: Boolean(options.json), color: options.color });
    const inspector = await openTarget(options);
    try {
      const code = await run({ inspector, output }, options, ...(args.slice(0, -2) as Args));
      if (code) process.exitCode = code;
    } finally {
      await inspector.close();
    }
  };
}

const deleteOptions = (options: CommandOptions): DeleteOptions => ({ yes: Boolean(options.yes), dryRun: Boolean(options.dryRun) });
const json = () => new Option('--json', 'print JSON for scripts instead of tables');
const yes = () => new Option('-y, --yes', 'delete without asking (required off a terminal)');
const dryRun = () => new Option('-n, --dry-run', 'show what would be deleted, delete nothing');
const staleAfter = () =>
  new Option('--stale-after <duration>', "count entries older than this as stale (default: each function's staleAfter)");

function program(): Command {
  const cli = new Command('cachier')
    .description(
      'See and manage cachier caches: the file backend by default; any backend through --config (or a cachier.config.mjs here), or --redis, --postgres, --s3, --mongo-uri.',
    )
    .version(version)
    .option('-d, --dir <folder>', 'file backend folder (default: $CACHIER_DIR, else ~/.cachier)')
    .option(
      '--config <file>',
      'an ES module whose default export is the options your application passes to setDefaults (default: ./cachier.config.mjs or .js when present)',
    )
    .option('--redis <url>', 'manage the redis backend at this Redis URL (needs ioredis installed)')
    .option('--postgres <url>', 'manage the postgres backend at this PostgreSQL connection string (needs pg installed)')
    .option(
      '--s3 <bucket[/prefix]>',
      'manage the s3 backend in this bucket, under this prefix (default cachier/; needs @aws-sdk/client-s3 installed)',
    )
    .option('--s3-endpoint <url>', 'S3-compatible endpoint for --s3 (credentials and region from the usual AWS variables)')
    .addOption(new Option('--mongo-uri <uri>', 'manage the mongo backend at this MongoDB connection string').env('CACHIER_MONGO_URI'))
    .addOption(new Option('--mongo-db <name>', 'MongoDB database').env('CACHIER_MONGO_DB').default('cachier'))
    .addOption(new Option('--mongo-collection <name>', 'MongoDB collection').env('CACHIER_MONGO_COLLECTION').default('cachier'))
    .option('--no-color', 'no colours (also off with NO_COLOR or when output is not a terminal)')
    .showSuggestionAfterError()
    .exitOverride();

  cli
    .command('ls')
    .description('list cached functions: entries, size, age, stale entries, old versions, being-calculated marks')
    .argument('[patterns...]', 'function ids or glob patterns (* matches any text)')
    .addOption(json())
    .addOption(staleAfter())
    .action(withContext((context, options, patterns: string[]) => list(context, patterns, duration('--stale-after', options.staleAfter))));

  cli
    .command('show')
    .description("one function's versions, entries with age and size, and marks")
    .argument('<id>', 'function id, folder name or glob pattern matching one function')
    .addOption(json())
    .addOption(staleAfter())
    .option('--limit <count>', 'entries to list, newest first; 0 for all', '20')
    .action(
      withContext((context, options, id: string) => {
        const limit = Number(options.limit);
        if (!Number.isInteger(limit) || limit < 0) throw new CliError(`--limit: expected a whole number, got ${options.limit}`, EXIT.usage);
        return show(context, id, duration('--stale-after', options.staleAfter), limit);
      }),
    );

  cli
    .command('clear')
    .description('remove every entry of the functions named (their manifests stay); reports the bytes freed')
    .argument('[patterns...]', 'function ids or glob patterns')
    .option('--all', 'clear every function')
    .addOption(yes())
    .addOption(dryRun())
    .addOption(json())
    .action(withContext((context, options, patterns: string[]) => clear(context, patterns, Boolean(options.all), deleteOptions(options))));

  cli
    .command('prune')
    .description('remove old source-hash versions, stale entries, expired marks and leftovers of killed writers')
    .argument('[patterns...]', 'only these functions (ids or glob patterns)')
    .addOption(staleAfter())
    .option('--unused-for <duration>', 'remove old versions no process used for this long', '1d')
    .addOption(yes())
    .addOption(dryRun())
    .addOption(json())
    .action(
      withContext((context, options, patterns: string[]) =>
        prune(
          context,
          patterns,
          { staleAfterMs: duration('--stale-after', options.staleAfter), unusedForMs: duration('--unused-for', options.unusedFor) ?? 0 },
          deleteOptions(options),
        ),
      ),
    );

  cli
    .command('verify')
    .description('read every entry and report unreadable ones (exit 1 if any remain); --fix removes them')
    .argument('[patterns...]', 'only these functions (ids or glob patterns)')
    .option('--fix', 'remove unreadable entries')
    .addOption(yes())
    .addOption(dryRun())
    .addOption(json())
    .action(
      withContext(async (context, options, patterns: string[]) =>
        (await verify(context, patterns, Boolean(options.fix), deleteOptions(options))) ? EXIT.problems : EXIT.ok,
      ),
    );

  cli
    .command('stats')
    .description('bytes, entries and stale entries per function, and their share of the cache')
    .argument('[patterns...]', 'only these functions (ids or glob patterns)')
    .addOption(staleAfter())
    .addOption(json())
    .action(withContext((context, options, patterns: string[]) => stats(context, patterns, duration('--stale-after', options.staleAfter))));

  cli
    .command('doctor')
    .description('check the project in the current folder: which route applies the tag, built output, Node, cache folder')
    .addOption(json())
    .action(async (_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<CommandOptions>();
      const output = createOutput({ json: Boolean(options.json), color: options.color });
      const cacheDir = resolveOptions({ cacheDir: options.dir }, {}).cacheDir;
      if (await doctor(output, process.cwd(), cacheDir)) process.exitCode = EXIT.problems;
    });

  return cli;
}

async function main(argv: readonly string[]): Promise<void> {
  const cli = program();
  if (argv.length === 0) {
    process.stderr.write(cli.helpInformation());
    process.exitCode = EXIT.usage;
    return;
  }
  try {
    await cli.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version end here too, with code 0; commander already printed its error message.
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    const code =
      error instanceof CliError
        ? error.exitCode
        : error instanceof NotACacheError
          ? EXIT.notACache
          : error instanceof MissingDriverError || error instanceof BackendError
            ? EXIT.backend
            : error instanceof CachierError
              ? EXIT.usage
              : EXIT.backend;
    process.stderr.write(`cachier: ${(error as Error).message.replace(/^cachier: /, '')}\n`);
    process.exitCode = code;
  }
}

// A reader that stops early (`cachier ls | head`) closes the pipe: the command ends quietly, as `ls | head` does.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? EXIT.ok);
  });
}

await main(process.argv.slice(2));
