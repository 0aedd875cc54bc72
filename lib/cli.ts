/**
 * The mcp-observatory command line: `generate` writes the monitoring bundle from a configuration file, `validate`
 * checks a bundle with promtool, amtool, pint and the offline cross-checks, `load` drives an MCP server with tenants,
 * tools and faults, `report` prints the daily health report and `capacity` the trends and forecasts from Prometheus,
 * and `wrap` and `proxy` run the sidecar in front of an MCP server in any language.
 */
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config/config.js';
import { USER_OWNED_FILES, generateBundle } from './generate/bundle.js';
import { LoadError, LoadUsageError } from './load/errors.js';
import type * as LoadCommandModule from './load/command.js';
import { CAPACITY_HELP, capacityCommand } from './capacity/command.js';
import { SNAPSHOT_HELP, snapshotCommand } from './snapshot/command.js';
import { REPORT_EXIT, reportCommand } from './report/command.js';
import { ReportUnavailableError, ReportUsageError } from './report/errors.js';
import { writeBundle } from './generate/writer.js';
import { SidecarUsageError, proxyCommand, wrapCommand } from './sidecar/command.js';
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
  load       drive an MCP server over Streamable HTTP: sessions, tenants, a tool mix, faults; print a summary
  report     the daily health report from Prometheus: golden signals, SLO budgets, alerts, top offenders
  capacity   trends and forecasts from Prometheus: when traffic, latency, CPU, memory reach their limits
  snapshot   the dashboards drawn from Prometheus without Grafana: HTML pages, PNGs, or served live
  compare    the same load against a baseline and a current server: latency and error deltas, a verdict
  wrap       run a stdio MCP server (any language) as a child and record what crosses: the sidecar for stdio
  proxy      a reverse proxy in front of a Streamable HTTP MCP server (any language) that records what crosses

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
  load: `Usage: mcp-observatory load [URL] [options]

Drives the MCP server at URL (Streamable HTTP; default http://127.0.0.1:3000/mcp, the reference server of
'npm start') with the SDK's own client: sessions shared over tenants (one bearer token each, traffic skewed by Zipf),
a tool mix with arguments generated from each tool's input schema, at an open-loop rate or in a closed loop, for a
duration or a request count. Faults are applied through the reference server's admin endpoint. Progress goes to
stderr, the summary (requests, rate, p50/p95/p99, errors by type, per tool and tenant) to stdout. Nothing is retried.

Options:
  --url URL           the MCP endpoint, instead of the URL argument
  --duration D        how long to send, e.g. 60s, 5m (default 30s unless --requests is given)
  --requests N        stop after N requests
  --sessions N        MCP sessions to open, shared over the tenants (default 10, at least one per tenant)
  --rate R            open loop: start R requests a second, whatever the answers (default 20)
  --concurrency N     closed loop instead: N requests in flight at once, each sent as soon as the previous answered
  --max-in-flight N   open loop: arrivals beyond N waiting requests are skipped and counted (default 256)
  --tool NAME=SHARE   the tool mix, repeatable, e.g. --tool search=60 --tool fetch=30 --tool summarize=10
                      (default: every tool the server lists, evenly)
  --args NAME=JSON    fixed arguments of a tool, e.g. --args 'search={"query":"bias"}'
  --tenant [NAME=]TOKEN  a tenant's bearer token, repeatable, most popular first
                      (default: the reference server's demo tenants acme, globex, initech, umbrella, hooli)
  --no-auth           send no Authorization header
  --zipf S            skew of the traffic over tenants: tenant k gets 1/k^S of it (default 1.1; 0 is even)
  --fault SPEC        a fault for the reference server, repeatable:
                      "at 60s: error=0.2 tool=search tenant=acme for 30s"; effects: error=RATE (0.2 or 20%),
                      latency=D, outage (its dependency), memory=MB/s, crash; tool= and tenant= narrow error,
                      latency and crash; without "for D" it lasts until the end of the run
  --admin-url URL     the admin endpoint for faults (default: /admin/faults on the server of URL)
  --admin-token T     its token, the server's ADMIN_TOKEN (default: $MCP_ADMIN_TOKEN)
  --timeout D         timeout of each request and session set-up (default 30s)
  --seed N            seed of the random choices, to repeat a run
  --json              print the summary as JSON
  --quiet             no progress output
  --help              show this help

Ctrl-C stops sending, lets requests in flight finish and prints the summary; a second Ctrl-C quits.
Exits 0 when the run completed, 1 when it could not run (no session connected) or a fault could not be applied,
2 on a bad command line.`,
  report: `Usage: mcp-observatory report [options]

The morning health check of the operations guides, from Prometheus: per service, tool and tenant the golden signals
over the window (requests, server-owned errors, p50/p95/p99) and now (last 5m), saturation, SLO error budget left and
burn rates, firing alerts, the top offenders (tools, tenants, tenant x tool by server errors; slowest tools), and
what the app reported about dependencies and security (breakers, auth failures, rate limits, cache, quotas).
Current values and SLOs come from the recording rules of 'generate' when Prometheus has them loaded, else from the
raw series (SLO objectives then come from --config).

Options:
  --prometheus URL  the Prometheus HTTP API (default: $PROMETHEUS_URL, else http://127.0.0.1:9090)
  --window D        the report window, a Prometheus duration (default 24h)
  --format F        table (default), markdown, json, or html (one page with charts of the window)
  --images DIR      with markdown: PNG charts of the window into DIR, linked from the Markdown (needs Chromium)
  --job NAME        only this scrape job
  --config FILE     SLOs to compute when the rules are not loaded (default: ./mcp-observatory.yaml if it exists)
  --top N           offenders listed per kind (default 5)
  --timeout D       timeout of each Prometheus request (default 10s)
  --help            show this help

Exit codes, for cron and deploy gates:
  0  healthy, or warnings only (warning alerts, burning SLOs, open breakers, targets down, restarts)
  1  a page-level (severity critical) alert is firing, or an SLO's error budget is exhausted
  2  bad command line or configuration
  3  Prometheus is unreachable or not Prometheus, or it has no MCP metrics in the window`,
  capacity: CAPACITY_HELP,
  snapshot: SNAPSHOT_HELP,
  compare: `Usage: mcp-observatory compare BASELINE_URL CURRENT_URL [options]

The performance-regression test of the operations guides: the same load (the options of 'load': mix, tenants, rate
or concurrency, duration, seed) against the baseline and the current MCP server, in alternating rounds (baseline
first, then current first) so warm-up and drift fall on both; then per tool and overall p95 latency and error ratio,
side by side. A regression: a p95 more than --max-p95-increase above the baseline's in every round, or an error
ratio more than --max-error-increase above it. Tools with fewer than 50 requests a side are shown, not judged.

Options (and every option of 'load' but --fault):
  --rounds N                 rounds, each a run against both servers (default 3)
  --max-p95-increase P       the p95 increase that is a regression (default 10%)
  --max-error-increase P     the error-ratio increase, in points, that is a regression (default 1%)
  --json                     print the comparison as JSON
  --help                     show this help

Exits 0 without a regression, 1 with one, 2 on a bad command line, 3 when a server could not be driven.`,
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
  const written = writeBundle(files, out, USER_OWNED_FILES);
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

function wantsHelp(args: string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

function isParseArgsError(error: unknown): boolean {
  return (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true;
}

/** A bad command line of `command`: the message, and where its options are listed. */
function usage(command: string, message: string): number {
  process.stderr.write(
    `mcp-observatory ${command}: ${message}\nRun 'mcp-observatory ${command} --help' for its options.\n`,
  );
  return 2;
}

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
    if (command === 'load') return wantsHelp(rest) ? (void console.log(HELP['load']), 0) : await runLoad(rest);
    if (command === 'compare')
      return wantsHelp(rest) ? (void console.log(HELP['compare']), 0) : await runLoad(rest, 'compareCommand');
    if (command === 'report')
      return wantsHelp(rest) ? (void console.log(HELP['report']), 0) : await reportCommand(rest);
    if (command === 'capacity')
      return wantsHelp(rest) ? (void console.log(HELP['capacity']), 0) : await capacityCommand(rest);
    if (command === 'snapshot')
      return wantsHelp(rest) ? (void console.log(HELP['snapshot']), 0) : await snapshotCommand(rest);
    if (command === 'wrap') return await wrapCommand(rest);
    if (command === 'proxy') return await proxyCommand(rest);
    throw new UsageError(`unknown command "${command}"`);
  } catch (error) {
    if (error instanceof SidecarUsageError) return usage(command!, error.message);
    if (error instanceof LoadUsageError) return usage(command === 'compare' ? 'compare' : 'load', error.message);
    // `capacity` and `snapshot` read Prometheus as `report` does, with the same errors and exit codes.
    if (error instanceof ReportUsageError) return usage(command!, error.message);
    if (error instanceof ReportUnavailableError) {
      process.stderr.write(`mcp-observatory ${command}: ${error.message}\n`);
      return REPORT_EXIT.unavailable;
    }
    if (error instanceof ConfigError && (command === 'report' || command === 'capacity' || command === 'snapshot')) {
      process.stderr.write(`${error.message}\n`);
      return REPORT_EXIT.usage;
    }
    if (error instanceof LoadError) {
      process.stderr.write(`mcp-observatory load: ${error.message}\n`);
      return 1;
    }
    if (
      (command === 'load' ||
        command === 'compare' ||
        command === 'snapshot' ||
        command === 'report' ||
        command === 'capacity' ||
        command === 'wrap' ||
        command === 'proxy') &&
      isParseArgsError(error)
    ) {
      return usage(command, (error as Error).message);
    }
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

/**
 * `load` and `compare` drive servers with the v1 SDK's own client, an optional peer of the package: imported only when
 * asked for, so `generate`, `validate` and `report` run without it.
 */
async function runLoad(args: string[], which: 'loadCommand' | 'compareCommand' = 'loadCommand'): Promise<number> {
  let command: typeof LoadCommandModule;
  try {
    command = await import('./load/command.js');
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new LoadUsageError(
      `the load generator needs @modelcontextprotocol/sdk (>=1.10 <2): install it next to mcp-observatory (${(error as Error).message})`,
    );
  }
  return command[which](args);
}
