/**
 * A small vocabulary over the Grafana Foundation SDK for the bundle's dashboards: every panel is a title, a unit, a
 * kind and PromQL queries, so the six dashboards read as lists of what they show. The variables, links and alert
 * annotations that every dashboard shares live here too.
 */
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { LABEL, METRICS, PROCESS_METRICS } from '../../contract.js';
import { DASHBOARDS, RECORD } from '../conventions.js';
import type { DashboardKey } from '../conventions.js';
import type { HistogramQueries } from '../histograms.js';

/** Every query goes to the datasource the viewer picks: never a hard-coded uid. */
export const DATASOURCE: common.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

export const TAG = 'mcp-observatory';

export interface Query {
  expr: string;
  legend?: string;
  /** A table cell value rather than a time series. */
  instant?: boolean;
  /** Ask for exemplars (trace ids) with the series, for latency panels. */
  exemplar?: boolean;
}

export interface Threshold {
  value: number;
  color: 'green' | 'yellow' | 'orange' | 'red';
}

export interface PanelSpec {
  title: string;
  description: string;
  kind: 'timeseries' | 'stat' | 'table' | 'bargauge';
  unit: string;
  queries: Query[];
  /** Steps above a green base, from the same configuration values the alerts use. */
  thresholds?: Threshold[];
  /** For ratios where low is bad (budget remaining, hit ratio): colour from red up to green. */
  lowIsBad?: boolean;
  width?: number;
  height?: number;
  min?: number;
  max?: number;
  stacked?: boolean;
}

function target(query: Query, index: number): cog.Builder<cog.Dataquery> {
  const builder = new prometheus.DataqueryBuilder()
    .datasource(DATASOURCE)
    .expr(query.expr)
    .refId(String.fromCharCode(65 + index))
    .legendFormat(query.legend ?? '__auto');
  if (query.instant) builder.instant().format(prometheus.PromQueryFormat.Table);
  else builder.range();
  if (query.exemplar) builder.exemplar(true);
  return builder;
}

function thresholdsOf(spec: PanelSpec): cog.Builder<dashboard.ThresholdsConfig> {
  const steps: dashboard.Threshold[] = spec.lowIsBad
    ? [
        { value: null, color: 'red' },
        ...(spec.thresholds ?? []).map((t) => ({ value: t.value, color: t.color === 'red' ? 'green' : t.color })),
      ]
    : [{ value: null, color: 'green' }, ...(spec.thresholds ?? [])];
  return new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps);
}

/** What every panel builder of the SDK offers; the kinds differ only in their visual options. */
interface PanelBasics<B> {
  title(title: string): B;
  description(description: string): B;
  datasource(datasource: common.DataSourceRef): B;
  targets(targets: cog.Builder<cog.Dataquery>[]): B;
  unit(unit: string): B;
  thresholds(thresholds: cog.Builder<dashboard.ThresholdsConfig>): B;
  span(width: number): B;
  height(height: number): B;
  min(min: number): B;
  max(max: number): B;
}

/** Set what every panel has: title, description, the datasource variable, queries, unit, thresholds, size. */
function basics<B extends PanelBasics<B>>(builder: B, spec: PanelSpec): B {
  builder
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .targets(spec.queries.map(target))
    .unit(spec.unit)
    .thresholds(thresholdsOf(spec))
    .span(spec.width ?? 12)
    .height(spec.height ?? 8);
  if (spec.min !== undefined) builder.min(spec.min);
  if (spec.max !== undefined) builder.max(spec.max);
  return builder;
}

/** One panel, built with the SDK. */
export function panel(spec: PanelSpec): cog.Builder<dashboard.Panel> {
  switch (spec.kind) {
    case 'timeseries': {
      const builder = basics(new timeseries.PanelBuilder(), spec)
        .fillOpacity(10)
        .legend(
          new common.VizLegendOptionsBuilder()
            .showLegend(true)
            .displayMode(common.LegendDisplayMode.List)
            .placement(common.LegendPlacement.Bottom),
        )
        .tooltip(
          new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending),
        );
      if (spec.thresholds) {
        builder.thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
      }
      if (spec.stacked) builder.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
      return builder;
    }
    case 'stat':
      return basics(new stat.PanelBuilder(), spec)
        .colorMode(common.BigValueColorMode.Background)
        .graphMode(common.BigValueGraphMode.Area)
        .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']));
    case 'bargauge':
      return basics(new bargauge.PanelBuilder(), spec)
        .orientation(common.VizOrientation.Horizontal)
        .displayMode(common.BarGaugeDisplayMode.Gradient)
        .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']));
    case 'table':
      return (
        basics(new table.PanelBuilder(), spec)
          // One row per series, one column per query: sortable by clicking any column header.
          .withTransformation({ id: 'merge', options: {} })
          .withTransformation({ id: 'organize', options: { excludeByName: { Time: true } } })
      );
  }
}

/** A row separating groups of panels; repeated once per value of `repeat`, when given. */
export function row(title: string, repeat?: string): cog.Builder<dashboard.RowPanel> {
  const builder = new dashboard.RowBuilder(title);
  return repeat === undefined ? builder : builder.repeat(repeat);
}

export type Item = { row: string; repeat?: Variable } | PanelSpec;

/** A filter variable a dashboard may add after job and instance. */
export type Variable = 'tenant' | 'tool' | 'slo' | 'nodejs_job';

/** The variables every dashboard starts with: the datasource first, then job, instance and the filters it needs. */
function variables(
  extra: Variable[],
  requests: HistogramQueries,
): cog.Builder<dashboard.VariableModel>[] {
  const query = (name: string, label: string, definition: string, includeAll = true) =>
    new dashboard.QueryVariableBuilder(name)
      .label(label)
      .datasource(DATASOURCE)
      .query({ query: definition, refId: 'PrometheusVariableQueryEditor-VariableQuery' })
      .definition(definition)
      .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
      .sort(dashboard.VariableSort.AlphabeticalAsc)
      .multi(true)
      .includeAll(includeAll)
      .allValue('.*');
  const list: cog.Builder<dashboard.VariableModel>[] = [
    new dashboard.DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'),
    // From the operation-duration histogram, which every MCP server with semconv metrics has, not from build info,
    // which only this library emits.
    query('job', 'Job', `label_values(${requests.series('')}, job)`),
    query('instance', 'Instance', `label_values(${requests.series('job=~"$job"')}, instance)`),
  ];
  if (extra.includes('tenant')) {
    list.push(
      query('tenant', 'Tenant', `label_values(${METRICS.tenantOperations.name}{job=~"$job"}, ${LABEL.TENANT})`),
    );
  }
  if (extra.includes('tool')) {
    list.push(
      query(
        'tool',
        'Tool',
        `label_values(${requests.series(`job=~"$job", ${LABEL.METHOD}="tools/call"`)}, ${LABEL.TOOL})`,
      ),
    );
  }
  // SLO series carry the job, whatever the service is called.
  if (extra.includes('slo')) list.push(query('slo', 'SLO', `label_values(${RECORD.objective}{job=~"$job"}, slo)`));
  // The jobs with a Node.js runtime, hidden: the Node.js row repeats once per such job (Grafana's classic schema
  // cannot drop a row: with none it keeps one empty row).
  if (extra.includes('nodejs_job')) {
    list.push(
      query('nodejs_job', 'Node.js job', `label_values(${PROCESS_METRICS.version}{job=~"$job"}, job)`).hide(
        dashboard.VariableHide.HideVariable,
      ),
    );
  }
  return list;
}

export interface DashboardSpec {
  key: DashboardKey;
  description: string;
  variables: Variable[];
  items: Item[];
}

/** A whole dashboard: stable uid, tags, links to its siblings, an annotation layer for firing alerts. */
export function buildDashboard(spec: DashboardSpec, requests: HistogramQueries): dashboard.Dashboard {
  const { uid, title } = DASHBOARDS[spec.key];
  const builder = new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(spec.description)
    .tags([TAG])
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .refresh('30s')
    .time({ from: 'now-3h', to: 'now' })
    .timezone('browser')
    .variables(variables(spec.variables, requests))
    .link(
      new dashboard.DashboardLinkBuilder('MCP dashboards')
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags([TAG])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true),
    )
    .annotation(
      new dashboard.AnnotationQueryBuilder()
        .name('Firing alerts')
        .datasource(DATASOURCE)
        .enable(true)
        .iconColor('red')
        .expr('ALERTS{alertstate="firing", job=~"$job"}')
        .titleFormat('{{alertname}}')
        .textFormat('{{severity}} {{priority}} {{instance}}{{tenant_id}}{{gen_ai_tool_name}}')
        .step('1m')
        .useValueForTime(false),
    );
  for (const item of spec.items) {
    if ('row' in item) builder.withRow(row(item.row, item.repeat));
    else builder.withPanel(panel(item));
  }
  return builder.build();
}
