import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { METRICS, OTEL_PROCESS_METRICS, PROCESS_METRICS } from '../contract.js';
import { PATHS } from '../generate/bundle.js';
import { SYNTHETIC_METRICS, metricNames } from './promql.js';

/** One problem found by `validate`, with the file it is about. */
export interface Problem {
  check: string;
  file: string;
  message: string;
}

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Every series name the library emits, histogram and counter suffixes included. */
export function contractMetricNames(): Set<string> {
  const names = new Set<string>([
    ...Object.values(PROCESS_METRICS),
    ...Object.values(OTEL_PROCESS_METRICS),
    ...SYNTHETIC_METRICS,
  ]);
  for (const metric of Object.values(METRICS)) {
    names.add(metric.name);
    if (metric.type === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
  }
  // prom-client's default GC histogram
  for (const suffix of ['_bucket', '_sum', '_count']) names.add(PROCESS_METRICS.gcDuration + suffix);
  return names;
}

export function readRules(file: string): Rule[] {
  const parsed = parse(readFileSync(file, 'utf8')) as { groups?: { rules?: Rule[] }[] } | null;
  return (parsed?.groups ?? []).flatMap((group) => group.rules ?? []);
}

/**
 * An alerting rule's identity: burn-rate rules share their name, and differ by tier and by the SLO (`sloth_id`) their
 * expression selects.
 */
function identity(name: string, tier: string | undefined, sloId: string | undefined): string {
  return [name, tier, sloId].filter(Boolean).join(' ');
}

function ruleIdentity(rule: Rule & { alert: string }): string {
  return identity(rule.alert, rule.labels?.['burnrate_tier'], /sloth_id="([^"]+)"/.exec(rule.expr)?.[1]);
}

/**
 * Checks that need no Prometheus: every metric a rule reads is emitted by the library or recorded by a rule; every
 * runbook_url resolves to a generated page; every alerting rule has a promtool case where it fires and one where it
 * stays quiet.
 */
export function offlineChecks(bundleDir: string): Problem[] {
  const problems: Problem[] = [];
  const rulesFile = join(bundleDir, PATHS.rules);
  if (!existsSync(rulesFile)) {
    return [{ check: 'bundle', file: rulesFile, message: 'no rules file: run `mcp-observatory generate` first' }];
  }
  let rules: Rule[];
  try {
    rules = readRules(rulesFile);
  } catch (error) {
    // promtool names the line too; this says it once, without a parser's stack trace.
    const reason = (error as Error).message.split('\n')[0];
    return [{ check: 'bundle', file: rulesFile, message: `not a YAML rules file: ${reason}` }];
  }
  const known = contractMetricNames();
  for (const rule of rules) if (rule.record) known.add(rule.record);

  for (const rule of rules) {
    const name = rule.alert ?? rule.record ?? '(unnamed)';
    for (const metric of metricNames(rule.expr)) {
      if (!known.has(metric)) {
        problems.push({
          check: 'contract',
          file: rulesFile,
          message: `${name} reads ${metric}, which is neither in the telemetry contract nor a recording rule`,
        });
      }
    }
  }

  const alerts = rules.filter((rule): rule is Rule & { alert: string } => rule.alert !== undefined);
  for (const rule of alerts) {
    const url = rule.annotations?.['runbook_url'];
    const page = url === undefined ? undefined : join(bundleDir, dirname(PATHS.runbook('x')), basename(url));
    if (!url || !page || !existsSync(page) || !url.endsWith(`${rule.alert}.md`)) {
      problems.push({
        check: 'runbook',
        file: rulesFile,
        message: `${rule.alert}: runbook_url ${url ?? '(missing)'} resolves to no generated runbook`,
      });
    }
    for (const key of ['summary', 'description', 'dashboard_url']) {
      if (!rule.annotations?.[key])
        problems.push({ check: 'annotations', file: rulesFile, message: `${rule.alert}: no ${key} annotation` });
    }
  }

  // Which rules have a case where they fire, and a case where they stay quiet.
  const fires = new Set<string>();
  const quiet = new Set<string>();
  const testsDir = join(bundleDir, dirname(PATHS.tests('x')));
  const testFiles = existsSync(testsDir) ? readdirSync(testsDir).filter((f) => f.endsWith('.yaml')) : [];
  for (const file of testFiles) {
    const parsed = parse(readFileSync(join(testsDir, file), 'utf8')) as {
      rule_files?: string[];
      tests?: { alert_rule_test?: { alertname: string; exp_alerts?: { exp_labels?: Record<string, string> }[] }[] }[];
    };
    for (const ruleFile of parsed.rule_files ?? []) {
      if (resolve(testsDir, ruleFile) !== resolve(rulesFile)) {
        problems.push({
          check: 'tests',
          file: join(testsDir, file),
          message: `tests ${ruleFile}, not the bundle's rules file`,
        });
      }
    }
    for (const test of parsed.tests ?? []) {
      for (const check of test.alert_rule_test ?? []) {
        if (!check.exp_alerts || check.exp_alerts.length === 0) quiet.add(check.alertname);
        for (const expected of check.exp_alerts ?? []) {
          const labels = expected.exp_labels ?? {};
          fires.add(identity(check.alertname, labels['burnrate_tier'], labels['sloth_id']));
        }
      }
    }
  }
  for (const rule of alerts) {
    if (!fires.has(ruleIdentity(rule))) {
      problems.push({
        check: 'tests',
        file: testsDir,
        message: `${ruleIdentity(rule)}: no promtool case shows it firing`,
      });
    }
    if (!quiet.has(rule.alert)) {
      problems.push({ check: 'tests', file: testsDir, message: `${rule.alert}: no promtool case shows it quiet` });
    }
  }
  return problems;
}
