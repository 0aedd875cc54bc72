import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DASHBOARDS } from '../lib/generate/conventions.js';
import { contractMetricNames, readRules } from '../lib/validate/offline.js';
import { metricNames } from '../lib/validate/promql.js';
import { needs, requireBinary } from './fixtures/binaries.js';
import { committedDashboards, panelsOf, substitute } from './fixtures/dashboards.js';

const dashboards = committedDashboards();
const SAMPLE = {
  job: 'mcp-server',
  instance: '127.0.0.1:9464',
  tenant: 'acme',
  tool: 'search',
  slo: 'availability',
  __rate_interval: '1m',
  __interval: '15s',
  __range: '1h',
};

/** Every PromQL expression of the dashboards, with where it comes from. */
function expressions(): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  for (const [file, dashboard] of dashboards) {
    for (const panel of panelsOf(dashboard)) {
      for (const target of panel.targets ?? [])
        out.push({ where: `${file} / ${panel.title} / ${target.refId}`, expr: target.expr });
    }
    for (const annotation of dashboard.annotations.list)
      if (annotation.expr) out.push({ where: `${file} / annotation`, expr: annotation.expr });
    for (const variable of dashboard.templating.list) {
      const selector = /^label_values\((.*), [a-z_]+\)$/.exec(variable.definition ?? '')?.[1];
      if (selector) out.push({ where: `${file} / variable ${variable.name}`, expr: selector });
    }
  }
  return out;
}

describe('dashboards', () => {
  it('are the six of the catalogue, with stable uids', () => {
    expect([...dashboards.values()].map((d) => d.uid).sort()).toEqual(
      Object.values(DASHBOARDS)
        .map((d) => d.uid)
        .sort(),
    );
    for (const dashboard of dashboards.values()) {
      const known = Object.values(DASHBOARDS).find((d) => d.uid === dashboard.uid)!;
      expect(dashboard.title).toBe(known.title);
    }
  });

  it('follow the linter conventions: datasource variable first, no hard-coded uids, $__rate_interval, titles and units', () => {
    const problems: string[] = [];
    for (const [file, dashboard] of dashboards) {
      const [first, second, third] = dashboard.templating.list;
      if (first?.type !== 'datasource' || first.name !== 'datasource')
        problems.push(`${file}: the first variable is not the datasource`);
      if (second?.name !== 'job' || third?.name !== 'instance')
        problems.push(`${file}: job and instance must follow the datasource`);
      if (!dashboard.tags.includes('mcp-observatory')) problems.push(`${file}: no mcp-observatory tag`);
      if (dashboard.links.length === 0) problems.push(`${file}: no links to the other dashboards`);
      if (!dashboard.annotations.list.some((a) => a.expr?.startsWith('ALERTS{alertstate="firing"'))) {
        problems.push(`${file}: no annotation layer for firing alerts`);
      }
      if ('__inputs' in dashboard) problems.push(`${file}: __inputs`);
      const uids = JSON.stringify(dashboard).match(/"uid":"[^"]*"/g) ?? [];
      for (const uid of uids) {
        if (uid !== '"uid":"${datasource}"' && uid !== `"uid":"${dashboard.uid}"`)
          problems.push(`${file}: hard-coded ${uid}`);
      }
      for (const panel of panelsOf(dashboard)) {
        const where = `${file} / ${panel.title ?? '(untitled)'}`;
        if (!panel.title) problems.push(`${where}: no title`);
        if (!panel.description) problems.push(`${where}: no description`);
        if (!panel.fieldConfig?.defaults?.unit) problems.push(`${where}: no unit`);
        if (panel.datasource?.uid !== '${datasource}') problems.push(`${where}: datasource is not the variable`);
        for (const target of panel.targets ?? []) {
          for (const [, fn, range] of target.expr.matchAll(/\b(rate|irate|increase)\(.*?\[([^\]]+)\]/g)) {
            if (range !== '$__rate_interval')
              problems.push(`${where}: ${fn}() over [${range}] instead of [$__rate_interval]`);
          }
          if (target.datasource?.uid !== '${datasource}')
            problems.push(`${where} ${target.refId}: target datasource is not the variable`);
          if (/histogram_quantile\(.*_bucket\{/.test(target.expr) && !target.exemplar)
            problems.push(`${where}: latency from raw buckets without exemplars`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('name only metrics of the telemetry contract or of the recording rules', () => {
    const known = contractMetricNames();
    for (const rule of readRules(join(process.cwd(), 'alerts/mcp-observatory.rules.yaml')))
      if (rule.record) known.add(rule.record);
    const unknown = expressions().flatMap(({ where, expr }) =>
      metricNames(substitute(expr, SAMPLE))
        .filter((name) => !known.has(name))
        .map((name) => `${where}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });

  it.skipIf(needs('promtool').skip)(
    'parse with Prometheus grammar (promtool), every panel, annotation and variable',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'mcp-observatory-dashboards-'));
      try {
        const all = expressions();
        const rules = all.map(({ expr }, i) => ({
          record: `dashboard_expression_${i}`,
          expr: substitute(expr, SAMPLE),
        }));
        const file = join(dir, 'expressions.yaml');
        writeFileSync(file, stringify({ groups: [{ name: 'dashboards', rules }] }));
        const result = spawnSync(requireBinary('promtool'), ['check', 'rules', file], {
          encoding: 'utf8',
          timeout: 60_000,
        });
        const output = `${result.stdout}${result.stderr}`;
        // Name the panel behind any expression promtool refuses.
        const refused = [...output.matchAll(/dashboard_expression_(\d+)/g)].map((m) => all[Number(m[1])]!.where);
        expect(refused).toEqual([]);
        expect(output).toContain(`SUCCESS: ${all.length} rules found`);
        expect(result.status).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
