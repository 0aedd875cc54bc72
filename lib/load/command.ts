/** `mcp-observatory load` and `compare`: parse, run with progress on stderr, print the summary on stdout. */
import { formatCompare, parseCompareArgs, runCompare } from './compare.js';
import { LoadError } from './errors.js';
import { parseLoadArgs } from './options.js';
import { showProgress } from './progress.js';
import type { ProgressOutput } from './progress.js';
import { LoadRun } from './runner.js';
import { formatLoadSummary } from './summary.js';

/**
 * Run `mcp-observatory load` with `args`; resolves to the exit code: 0 when the run completed, 1 when a scheduled
 * fault could not be applied or ended. A first Ctrl-C stops sending and still prints the summary; a second quits.
 */
export async function loadCommand(args: string[]): Promise<number> {
  const options = parseLoadArgs(args);
  const controller = new AbortController();
  let interrupts = 0;
  const interrupt = () => {
    if (++interrupts > 1) {
      process.stderr.write('load: interrupted again; quitting without a summary\n');
      process.exit(130);
    }
    if (!options.quiet) process.stderr.write('load: stopping; requests in flight finish (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  let progress: ProgressOutput | undefined;
  const run = new LoadRun(options, {
    signal: controller.signal,
    onEvent: (line) => progress?.event(line),
  });
  if (!options.quiet) progress = showProgress(process.stderr, () => run.progress());
  try {
    const summary = await run.run();
    progress?.stop();
    process.stdout.write(`${options.json ? JSON.stringify(summary, null, 2) : formatLoadSummary(summary)}\n`);
    return summary.faults.some((fault) => fault.error !== undefined) ? 1 : 0;
  } finally {
    progress?.stop();
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}

/**
 * Run `mcp-observatory compare` with `args`; resolves to the exit code: 0 without a regression, 1 with one, 3 when a
 * server could not be driven (no session connected). Ctrl-C stops after the run in progress and compares the rounds
 * both sides completed.
 */
export async function compareCommand(args: string[]): Promise<number> {
  const options = parseCompareArgs(args);
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.on('SIGINT', interrupt);
  try {
    const report = await runCompare(options, {
      signal: controller.signal,
      onEvent: (line) => process.stderr.write(`compare: ${line}\n`),
    });
    process.stdout.write(`${options.json ? JSON.stringify(report, null, 2) : formatCompare(report)}\n`);
    return report.verdict.status === 'regression' ? 1 : 0;
  } catch (error) {
    if (!(error instanceof LoadError)) throw error;
    process.stderr.write(`mcp-observatory compare: ${error.message}\n`);
    return 3;
  } finally {
    process.off('SIGINT', interrupt);
  }
}
