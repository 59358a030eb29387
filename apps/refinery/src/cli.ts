import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { enrich, formatSummary, InputError } from './enrich';
import { startLocalApp } from './local-app';
import { fileLogger, stdoutLogger } from './logging';

const DEFAULT_DATA_DIR = '.refinery';
const BUNDLED_DIRECTORY = resolve(__dirname, '../../../examples/directory.csv');

function positiveInteger(name: string, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`${name} must be an integer from 1 to ${max}`);
    return n;
  };
}

/** --directory, else REFINERY_DIRECTORY, else the example directory shipped with the project. */
function resolveDirectory(option: string | undefined): string {
  const path = resolve(option ?? process.env.REFINERY_DIRECTORY ?? BUNDLED_DIRECTORY);
  if (!existsSync(path)) throw new InputError(`the directory file ${path} does not exist (pass --directory FILE or set REFINERY_DIRECTORY)`);
  return path;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command()
    .name('refinery')
    .description('Contact Refinery: validate, standardize, match and label contact books — every service on this machine.')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('enrich')
    .description('enrich a CSV contact book through the whole event-driven pipeline and write the result CSV')
    .argument('<input>', 'the contact book (CSV)')
    .requiredOption('--out <file>', 'where to write the result CSV')
    .option('--directory <file>', 'the directory provider CSV (default: $REFINERY_DIRECTORY or examples/directory.csv)')
    .option('--data-dir <dir>', 'durable local state (queues, tables, objects)', DEFAULT_DATA_DIR)
    .option('--chunk-rows <n>', 'rows per chunk', positiveInteger('--chunk-rows', 100_000))
    .action(async (input: string, options: { out: string; directory?: string; dataDir: string; chunkRows?: number }) => {
      const dataDir = resolve(options.dataDir);
      const directory = resolveDirectory(options.directory);
      const summary = await enrich({
        input,
        out: options.out,
        directory,
        dataDir,
        ...(options.chunkRows ? { chunkRows: options.chunkRows } : {}),
        logger: fileLogger(dataDir),
        stderr: process.stderr,
      });
      if (summary.status === 'failed') {
        process.stderr.write(`refinery: the job failed: ${summary.reason}\n(job ${summary.jobId}; logs in ${dataDir}/logs)\n`);
        exitCode = 1;
        return;
      }
      process.stdout.write(`${formatSummary(summary, resolve(options.out))}\n`);
    });

  program
    .command('dev')
    .description('serve the HTTP API with every service running on this machine')
    .option('--port <n>', 'port on 127.0.0.1', positiveInteger('--port', 65_535), 8080)
    .option('--data-dir <dir>', 'durable local state (queues, tables, objects)', DEFAULT_DATA_DIR)
    .option('--directory <file>', 'the directory provider CSV (default: $REFINERY_DIRECTORY or examples/directory.csv)')
    .action(async (options: { port: number; dataDir: string; directory?: string }) => {
      const dataDir = resolve(options.dataDir);
      const app = await startLocalApp({
        dataDir,
        directory: resolveDirectory(options.directory),
        port: options.port,
        logger: stdoutLogger(),
        ...(process.env.REFINERY_API_TOKENS ? { apiTokens: process.env.REFINERY_API_TOKENS } : {}),
      });
      const tokenLine = app.tokens.localTokenFile
        ? `token (tenant local): ${app.tokens.clientToken}${app.tokens.generated ? ' (new, saved in ' : ' (from '}${app.tokens.localTokenFile})`
        : 'tokens: from REFINERY_API_TOKENS';
      process.stderr.write(`refinery dev: listening on ${app.url}\n${tokenLine}\ndata dir: ${dataDir}\n`);
      await new Promise<void>((resolveStop) => {
        const stop = (): void => {
          process.stderr.write('refinery dev: stopping\n');
          resolveStop();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await app.close();
    });

  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return 0;
    if (code?.startsWith('commander.')) return 2;
    if (error instanceof InputError) {
      process.stderr.write(`refinery: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  return exitCode;
}
