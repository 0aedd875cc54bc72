import type { AlertSpec } from './alert-spec.js';
import type { Priority } from './conventions.js';
import { DASHBOARDS } from './conventions.js';
import type { Model } from './model.js';

/** Response expectations per priority, from the operations guides' escalation table. */
export const PRIORITY_RESPONSE: Record<Priority, string> = {
  P1: 'Critical (P1): respond immediately, within 15 minutes; page the secondary on-call if not acknowledged in 15 minutes.',
  P2: 'High (P2): respond within 1 hour.',
  P3: 'Medium (P3): respond within 4 hours.',
  P4: 'Low (P4): handle on the next business day.',
};

/** The runbook URL of an alert, as its `runbook_url` annotation carries it. */
export function runbookUrl(model: Model, alert: string): string {
  return `${model.config.runbooks.baseUrl.replace(/\/$/, '')}/${alert}.md`;
}

/** The dashboard URL of an alert, as its `dashboard_url` annotation carries it. */
export function dashboardUrl(model: Model, spec: AlertSpec): string {
  return `${model.config.dashboards.baseUrl.replace(/\/$/, '')}/d/${DASHBOARDS[spec.dashboard].uid}`;
}

const list = (items: string[]) => items.map((item, i) => `${i + 1}. ${item}`).join('\n');

/**
 * One runbook page per alert name, in the shape of the operations guides' sample runbook. Alerts that share a name
 * (the burn-rate tiers) share a page with one table row per rule.
 */
export function runbook(model: Model, specs: AlertSpec[]): string {
  const first = specs[0]!;
  const dashboard = DASHBOARDS[first.dashboard];
  const rules = specs
    .map((spec) => {
      const labels = Object.entries(spec.labels ?? {})
        .map(([key, value]) => `${key}=${value}`)
        .join(', ');
      return `| ${spec.severity} | ${spec.priority} | ${spec.for} | ${labels || '—'} |`;
    })
    .filter((row, i, rows) => rows.indexOf(row) === i);
  const expressions = [...new Set(specs.map((spec) => spec.expr))];
  const priorities = [...new Set(specs.map((spec) => spec.priority))].sort();
  return [
    `# ${first.alert}`,
    '',
    `> ${first.summary}`,
    '',
    '| severity | priority | for | labels |',
    '| --- | --- | --- | --- |',
    ...rules,
    '',
    '## What it means',
    '',
    first.runbook.meaning,
    '',
    '## Impact',
    '',
    first.runbook.impact,
    '',
    '## The rule',
    '',
    ...expressions.flatMap((expr) => ['```promql', expr, '```', '']),
    `Dashboard: [${dashboard.title}](${dashboardUrl(model, first)})`,
    '',
    '## Initial response (5 min)',
    '',
    list([
      'Acknowledge the alert so the escalation stops, and say in the incident channel that you are on it.',
      `Open the [${dashboard.title}](${dashboardUrl(model, first)}) dashboard and confirm what the alert says: which instance, tool or tenant, since when.`,
      'Check what changed: deployments, configuration, feature flags, dependency incidents.',
      `Decide on escalation: ${priorities.map((p) => PRIORITY_RESPONSE[p]).join(' ')}`,
    ]),
    '',
    '## Investigation (15 min)',
    '',
    list(first.runbook.investigate),
    '',
    '## Mitigation',
    '',
    list(first.runbook.mitigate),
    '',
    '## Resolution',
    '',
    list([
      'Fix the root cause and deploy the fix.',
      'Watch the dashboard until the signal is back to normal and the alert resolves.',
      'Update this runbook if a step was missing or wrong (edit the generator, not this page).',
    ]),
    '',
    '## Post-incident',
    '',
    list([
      'Write the incident report: timeline, impact (error budget spent), root cause, what went well and badly.',
      'Schedule the post-mortem for P1 and P2 incidents.',
      'File follow-up work: tests, alerts, capacity, runbook improvements.',
    ]),
    '',
  ].join('\n');
}
