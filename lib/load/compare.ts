/**
 * `mcp-observatory compare`: the performance-regression test of the operations guides. The same load — same mix, same
 * seed — runs against a baseline and a current server in alternating rounds (baseline first, then current first), so
 * warm-up and drift of the machine fall on both; the verdict compares p95 latency and error ratio per tool and overall.
 * A latency regression must show in every round, not only in the median: one noisy round is not a regression.
 */
import { parseArgs } from 'node:util';
import { LoadUsageError } from './errors.js';
import { LOAD_FLAGS, loadOptionsFrom } from './options.js';
import type { LoadOptions } from './options.js';
import { runLoad } from './runner.js';
import type { LoadSummary, RunHooks } from './runner.js';
import type { GroupSummary } from './stats.js';
import { columns, formatMs } from './summary.js';

/** Fewer requests than this per side, and a tool is shown but not judged. */
export const MIN_REQUESTS = 50;

export interface CompareOptions {
  baseline: LoadOptions;
  current: LoadOptions;
  rounds: number;
  /** A p95 above baseline x (1 + this) in every round is a regression. */
  maxP95Increase: number;
  /** An error ratio above the baseline's by more than this (absolute) is a regression. */
  maxErrorIncrease: number;
  json: boolean;
}

/** One side of a comparison: totals over the rounds, latency quantiles as the median of the rounds'. */
export interface Side {
  requests: number;
  errors: number;
  errorRatio: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** The p95 of each round, in round order. */
  p95ByRoundMs: number[];
}

export interface Comparison {
  baseline: Side;
  current: Side;
  /** current p95 / baseline p95 (medians). */
  p95Ratio: number;
  /** current error ratio − baseline error ratio. */
  errorRatioIncrease: number;
  /** Why this group regressed; empty when it did not, absent when it had too few requests to judge. */
  regressions?: string[];
}

export interface CompareReport {
  baseline: string;
  current: string;
  rounds: number;
  thresholds: { maxP95Increase: number; maxErrorIncrease: number };
  all: Comparison;
  tools: Record<string, Comparison>;
  verdict: { status: 'pass' | 'regression'; reasons: string[] };
}

const COMPARE_FLAGS = {
  ...LOAD_FLAGS,
  rounds: { type: 'string' },
  'max-p95-increase': { type: 'string' },
  'max-error-increase': { type: 'string' },
} as const;

/** `10%` or `0.1` → 0.1, from 0 to 10 (1000%). */
function share(value: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(%?)$/.exec(value);
  const number = match ? Number(match[1]) / (match[2] === '%' ? 100 : 1) : NaN;
  if (!Number.isFinite(number) || number > 10) {
    throw new LoadUsageError(`${flag} ${value}: a share such as 10% or 0.1`);
  }
  return number;
}

/** Parse `compare BASELINE_URL CURRENT_URL [load options]`. */
export function parseCompareArgs(
  args: string[],
  env: Record<string, string | undefined> = process.env,
): CompareOptions {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: COMPARE_FLAGS });
  if (positionals.length !== 2 || values.url !== undefined) {
    throw new LoadUsageError(
      `compare takes two MCP endpoint URLs, the baseline then the current, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`,
    );
  }
  if (values.fault !== undefined) {
    throw new LoadUsageError('--fault: compare runs the same load against both servers; inject faults with load');
  }
  const rounds = values.rounds === undefined ? 3 : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) {
    throw new LoadUsageError(`--rounds ${values.rounds}: a whole number from 1 to 20`);
  }
  const baseline = loadOptionsFrom(values, endpoint(positionals[0]!, 'the baseline'), env);
  return {
    baseline,
    current: { ...baseline, url: endpoint(positionals[1]!, 'the current server') },
    rounds,
    maxP95Increase: share(values['max-p95-increase'] ?? '10%', '--max-p95-increase'),
    maxErrorIncrease: share(values['max-error-increase'] ?? '1%', '--max-error-increase'),
    json: values.json === true,
  };
}

function endpoint(text: string, what: string): URL {
  try {
    const parsed = new URL(text);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return parsed;
  } catch {
    // reported below
  }
  throw new LoadUsageError(`${what}: "${text}" is not an http(s) URL, e.g. http://127.0.0.1:3000/mcp`);
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

function side(groups: GroupSummary[]): Side {
  const requests = groups.reduce((sum, g) => sum + g.requests, 0);
  const errors = groups.reduce((sum, g) => sum + g.errors, 0);
  return {
    requests,
    errors,
    errorRatio: requests > 0 ? errors / requests : 0,
    p50Ms: median(groups.map((g) => g.latencyMs.p50)),
    p95Ms: median(groups.map((g) => g.latencyMs.p95)),
    p99Ms: median(groups.map((g) => g.latencyMs.p99)),
    p95ByRoundMs: groups.map((g) => g.latencyMs.p95),
  };
}

/** Compare two sides of one group (all requests, or one tool's). */
export function compareGroups(
  baselineRounds: GroupSummary[],
  currentRounds: GroupSummary[],
  options: Pick<CompareOptions, 'maxP95Increase' | 'maxErrorIncrease'>,
): Comparison {
  const baseline = side(baselineRounds);
  const current = side(currentRounds);
  const p95Ratio = baseline.p95Ms > 0 ? current.p95Ms / baseline.p95Ms : 1;
  const errorRatioIncrease = current.errorRatio - baseline.errorRatio;
  const comparison: Comparison = { baseline, current, p95Ratio, errorRatioIncrease };
  if (baseline.requests < MIN_REQUESTS || current.requests < MIN_REQUESTS) return comparison;
  const regressions: string[] = [];
  const slowerEveryRound = current.p95ByRoundMs.every((p95, round) => p95 > baseline.p95ByRoundMs[round]!);
  if (p95Ratio > 1 + options.maxP95Increase && slowerEveryRound) {
    regressions.push(
      `p95 ${formatMs(baseline.p95Ms)} → ${formatMs(current.p95Ms)} (+${Math.round((p95Ratio - 1) * 100)}%, slower in every round)`,
    );
  }
  if (errorRatioIncrease > options.maxErrorIncrease) {
    regressions.push(
      `errors ${percent(baseline.errorRatio)} → ${percent(current.errorRatio)} (+${percent(errorRatioIncrease)} points)`,
    );
  }
  return { ...comparison, regressions };
}

const percent = (ratio: number) => `${(ratio * 100).toFixed(ratio < 0.1 ? 2 : 1)}%`;

/** Run the rounds and compare. `hooks` reach every load run (its signal stops the comparison). */
export async function runCompare(options: CompareOptions, hooks: RunHooks = {}): Promise<CompareReport> {
  const runs: { baseline: LoadSummary[]; current: LoadSummary[] } = { baseline: [], current: [] };
  for (let round = 0; round < options.rounds && !hooks.signal?.aborted; round++) {
    // The same seed on both sides of a round: the same tenants, tools and arguments in the same order.
    const seed = options.baseline.seed + round;
    const order = round % 2 === 0 ? (['baseline', 'current'] as const) : (['current', 'baseline'] as const);
    for (const which of order) runs[which].push(await runLoad({ ...options[which], seed }, hooks));
  }
  const rounds = Math.min(runs.baseline.length, runs.current.length);
  const thresholds = { maxP95Increase: options.maxP95Increase, maxErrorIncrease: options.maxErrorIncrease };
  const all = compareGroups(
    runs.baseline.slice(0, rounds).map((run) => run.all),
    runs.current.slice(0, rounds).map((run) => run.all),
    thresholds,
  );
  const toolNames = [...new Set([...runs.baseline, ...runs.current].flatMap((run) => Object.keys(run.tools)))].sort();
  const empty: GroupSummary = {
    requests: 0,
    ratePerSecond: 0,
    errors: 0,
    errorRatio: 0,
    errorTypes: {},
    latencyMs: { p50: 0, p95: 0, p99: 0, max: 0, mean: 0 },
  };
  const tools = Object.fromEntries(
    toolNames.map((tool) => [
      tool,
      compareGroups(
        runs.baseline.slice(0, rounds).map((run) => run.tools[tool] ?? empty),
        runs.current.slice(0, rounds).map((run) => run.tools[tool] ?? empty),
        thresholds,
      ),
    ]),
  );
  const reasons = [
    ...(all.regressions ?? []).map((reason) => `all requests: ${reason}`),
    ...Object.entries(tools).flatMap(([tool, c]) => (c.regressions ?? []).map((reason) => `${tool}: ${reason}`)),
  ];
  return {
    baseline: options.baseline.url.href,
    current: options.current.url.href,
    rounds,
    thresholds,
    all,
    tools,
    verdict: { status: reasons.length > 0 ? 'regression' : 'pass', reasons },
  };
}

/** The comparison for a terminal. */
export function formatCompare(report: CompareReport): string {
  const row = (name: string, c: Comparison) => [
    name,
    `${c.baseline.requests}`,
    `${c.current.requests}`,
    formatMs(c.baseline.p95Ms),
    formatMs(c.current.p95Ms),
    `${c.p95Ratio >= 1 ? '+' : ''}${Math.round((c.p95Ratio - 1) * 100)}%`,
    percent(c.baseline.errorRatio),
    percent(c.current.errorRatio),
    c.regressions === undefined ? 'too few' : c.regressions.length > 0 ? 'REGRESSION' : 'ok',
  ];
  const { maxP95Increase, maxErrorIncrease } = report.thresholds;
  return [
    `compare: baseline ${report.baseline}, current ${report.current}, ${report.rounds} round(s), the same load on each`,
    `regression: p95 more than ${Math.round(maxP95Increase * 100)}% above the baseline's in every round, or errors more than ${percent(maxErrorIncrease)} points above`,
    '',
    columns([
      ['', 'requests', '', 'p95', '', 'p95', 'errors', '', ''],
      ['', 'baseline', 'current', 'baseline', 'current', 'change', 'baseline', 'current', 'verdict'],
      row('all requests', report.all),
      ...Object.entries(report.tools).map(([tool, c]) => row(tool, c)),
    ]),
    '',
    report.verdict.status === 'pass'
      ? 'Verdict: PASS, no regression'
      : ['Verdict: REGRESSION', ...report.verdict.reasons.map((reason) => `  ✗ ${reason}`)].join('\n'),
  ].join('\n');
}
