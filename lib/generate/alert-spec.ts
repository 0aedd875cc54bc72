import { DURATION_BUCKETS_SECONDS } from '../contract.js';
import type { DashboardKey, Priority, Severity } from './conventions.js';

/** What an on-call engineer reads first: the runbook sections specific to one alert. */
export interface RunbookContent {
  /** What the alert means, in one or two sentences. */
  meaning: string;
  /** Who is affected and how. */
  impact: string;
  /** Investigation steps (15 minutes), most telling first. */
  investigate: string[];
  /** Mitigations, each with the condition it fits. */
  mitigate: string[];
}

/** One input series of a promtool unit test, in promtool's expanding notation (`0+10x60`). */
export interface InputSeries {
  series: string;
  values: string;
}

/** A promtool case: inputs, when to look, and what must (or must not) be firing then. */
export interface AlertCase {
  name: string;
  interval: string;
  inputs: InputSeries[];
  evalTime: string;
  /** Firing alerts expected at evalTime: the labels the expression yields and the rendered `$value`. */
  expect: { labels: Record<string, string>; value: string }[];
}

/** One alerting rule with everything generated from it: runbook, dashboard link and unit tests. */
export interface AlertSpec {
  alert: string;
  expr: string;
  for: string;
  severity: Severity;
  priority: Priority;
  /** Labels beyond severity and priority (burn-rate tiers). */
  labels?: Record<string, string>;
  summary: string;
  /** Go template over `$labels.x` and `$value` (piped through humanize functions); see {@link renderDescription}. */
  description: string;
  dashboard: DashboardKey;
  runbook: RunbookContent;
  cases: AlertCase[];
  /** promtool evaluation interval for this alert's tests (long windows need coarse steps). @default '1m' */
  evaluationInterval?: string;
}

/**
 * Render a description the way Prometheus will, for the expected annotations of unit tests: `{{ $labels.x }}` takes the
 * label, `{{ $value … }}` the value text the case states (already formatted as the pipe would format it).
 */
export function renderDescription(template: string, labels: Record<string, string>, value: string): string {
  return template
    .replace(/\{\{ \$labels\.([a-zA-Z_][a-zA-Z0-9_]*) \}\}/g, (_, name: string) => labels[name] ?? '')
    .replace(/\{\{ \$value( \| [a-zA-Z0-9]+)? \}\}/g, value);
}

/** `name{a="b", …}` in promtool's series syntax. */
export function series(name: string, labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  return `${name}{${pairs.join(', ')}}`;
}

/** A counter that grows by `perStep` for `steps` steps, from 0. */
export function counter(name: string, labels: Record<string, string>, perStep: number, steps: number): InputSeries {
  return { series: series(name, labels), values: `0+${perStep}x${steps}` };
}

/** A gauge that holds `value` for `steps` steps, then goes stale: its target or its sender is gone. */
export function vanishing(name: string, labels: Record<string, string>, value: number, steps: number): InputSeries {
  return { series: series(name, labels), values: `${value}x${steps} stale` };
}

/** A gauge that holds `value` for `steps` steps. */
export function gauge(name: string, labels: Record<string, string>, value: number, steps: number): InputSeries {
  return { series: series(name, labels), values: `${value}x${steps}` };
}

/**
 * The bucket, sum and count series of a histogram whose observations land, per step, `perStep[i]` in the i-th bucket
 * of the semconv boundaries (the last index is +Inf).
 */
export function histogram(
  name: string,
  labels: Record<string, string>,
  perStep: Record<number, number>,
  steps: number,
  withCount = true,
): InputSeries[] {
  const bounds: (number | '+Inf')[] = [...DURATION_BUCKETS_SECONDS, '+Inf'];
  let cumulative = 0;
  const out = bounds.map((le, i) => {
    cumulative += perStep[i] ?? 0;
    return counter(`${name}_bucket`, { ...labels, le: String(le) }, cumulative, steps);
  });
  if (withCount) out.push(counter(`${name}_count`, labels, cumulative, steps));
  return out;
}

/** Index of a bucket boundary in the semconv list (for {@link histogram}). */
export function bucketIndex(upperBound: number): number {
  const index = (DURATION_BUCKETS_SECONDS as readonly number[]).indexOf(upperBound);
  if (index < 0) throw new RangeError(`${upperBound} is not a bucket boundary`);
  return index;
}
