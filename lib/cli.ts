/**
 * The mcp-observatory command line: `generate` writes the monitoring bundle from a configuration file, `validate`
 * checks a bundle with promtool, amtool, pint and the offline cross-checks.
 */
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config/config.js';
import { generateBundle } from './generate/bundle.js';
import { writeBundle } from './generate/writer.js';
import { offlineChecks } from './validate/offline.js';
import type { Problem } from './validate/offline.js';
import { toolChecks } from './validate/tools.js';
import { VERSION } from './version.js';

const DEFAULT_CONFIG = 'mcp-observatory.yaml';

const HELP: Record<string, string> = {
  main: `mcp-observatory ${VERSION}: observability for MCP servers, as code

Usage: mcp-observatory <command> [options]

Commands:
  generate   write the monitoring bundle (alert rules, promtool tests, runbooks, Alertmanager config)
  validate   check a bundle with promtool, amtool, pint and offline cross-checks

Run 'mcp-observatory <command> --help' for a command's options.`,
  generate: `Usage: mcp-observatory generate [--config FILE] [--out DIR]

Writes the bundle generated from FILE into DIR: alerts/ (rules, promtool tests, runbooks, Alertmanager config).
The write is atomic: on any error nothing is written. Generated directories are owned by the generator.

Options:
  --config FILE  configuration (YAML or JSON); default: ./${DEFAULT_CONFIG} if it exists, else the built-in defaults
  --out DIR      output directory; default: the current directory
  --help         show this help`,
  validate: `Usage: mcp-observatory validate [DIR]

Checks the bundle in DIR (default: the current directory): promtool check rules, promtool test rules, amtool
check-config, pint --offline lint, and offline cross-checks (every metric a rule reads is emitted by the library or
recorded by a rule; every runbook_url resolves; every alert has promtool cases that show it firing and quiet).
Exits 1 when any check fails.

Options:
  --help  show this help`,
};

function print(problems: Problem[]): void {
  for (const problem of problems) process.stderr.write(`✗ [${problem.check}] ${problem.file}: ${problem.message}\n`);
}

function generate(args: string[]): number {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) return (void console.log(HELP['generate']), 0);
  const configPath = values.config ?? (existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : undefined);
  const config = loadConfig(configPath);
  const files = generateBundle(config, configPath === undefined ? 'the built-in defaults' : basename(configPath));
  const out = resolve(values.out ?? '.');
  const written = writeBundle(files, out);
  console.log(`generated ${written.length} files into ${out} from ${configPath ?? 'the built-in defaults'}`);
  return 0;
}

async function validate(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { help: { type: 'boolean' } }, allowPositionals: true });
  if (values.help) return (void console.log(HELP['validate']), 0);
  if (positionals.length > 1) throw new UsageError(`validate takes one directory, got ${positionals.join(' ')}`);
  const dir = resolve(positionals[0] ?? '.');
  const offline = offlineChecks(dir);
  // Tools only make sense on a bundle that exists.
  const problems = offline.some((p) => p.check === 'bundle') ? offline : [...offline, ...(await toolChecks(dir))];
  if (problems.length > 0) {
    print(problems);
    process.stderr.write(`validate: ${problems.length} problem(s) in ${dir}\n`);
    return 1;
  }
  console.log(`validate: ${dir} passed promtool check and test, amtool, pint and the offline cross-checks`);
  return 0;
}

class UsageError extends Error {}

/** Run the CLI; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      console.log(HELP['main']);
      return command === undefined ? 2 : 0;
    }
    if (command === '--version') return (void console.log(VERSION), 0);
    if (command === 'generate') return generate(rest);
    if (command === 'validate') return await validate(rest);
    throw new UsageError(`unknown command "${command}"`);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nnothing was written\n`);
      return 1;
    }
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`mcp-observatory: ${(error as Error).message}\n\n${HELP['main']}\n`);
      return 2;
    }
    process.stderr.write(`mcp-observatory: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
