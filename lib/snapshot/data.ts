/**
 * The data of a dashboard snapshot: every panel of the dashboard definitions the Grafana JSON is generated from
 * (`dashboardSpecs`), its queries run against Prometheus as Grafana would run them — variables set to every value
 * (or the job asked for), `$__rate_interval` from the step — so the snapshot and the Grafana dashboard cannot drift.
 */
import type { DashboardSpec, PanelSpec, Threshold } from '../generate/dashboards/panels.js';
import type { PrometheusApi } from '../report/prometheus.js';

export interface SeriesData {
  name: string;
  /** One value per time of the panel; null where the series has no sample. */
  values: (number | null)[];
}

export interface ValueData {
  name: string;
  value: number;
}

/** A panel with what its queries returned: time series (timeseries), values (stat, bargauge) or a table. */
export interface PanelData {
  title: string;
  description: string;
  kind: PanelSpec['kind'];
  unit: string;
  width: number;
  height: number;
  thresholds: Threshold[];
  lowIsBad: boolean;
  min?: number | undefined;
  max?: number | undefined;
  stacked: boolean;
  times?: number[];
  series?: SeriesData[];
  values?: ValueData[];
  table?: { columns: string[]; rows: string[][] };
  /** Queries Prometheus refused, with its message. */
  errors: string[];
}

export type ItemData = { row: string } | PanelData;

export interface DashboardData {
  uid: string;
  title: string;
  description: string;
  items: ItemData[];
}

export interface SnapshotWindow {
  /** Seconds of history the time series show, ending now. */
  rangeSeconds: number;
  /** Seconds between points. */
  stepSeconds: number;
  /** `job` matcher value (a regex, as Grafana's variable); `.*` for every job. */
  job: string;
}

/** Grafana's variables and built-ins in `expr`, as the snapshot sets them. */
export function substitute(expr: string, window: SnapshotWindow): string {
  const rateInterval = `${Math.max(60, 4 * window.stepSeconds)}s`;
  const values: Record<string, string> = {
    job: window.job,
    __rate_interval: rateInterval,
    __interval: `${window.stepSeconds}s`,
    __range: `${window.rangeSeconds}s`,
  };
  // Every other variable (instance, tenant, tool, slo, nodejs_job) stands for all of its values, as "All" does.
  return expr.replace(
    /\$\{?(__rate_interval|__interval|__range|[a-z_]+)\}?/g,
    (_, name: string) => values[name] ?? '.*',
  );
}

/** A series' name from the panel's legend format (`{{label}}`), or its labels. */
export function legendOf(legend: string | undefined, labels: Record<string, string>): string {
  if (legend !== undefined && legend !== '__auto') {
    return legend.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => labels[name] ?? '');
  }
  const pairs = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  return pairs.length > 0 ? `{${pairs.join(', ')}}` : 'value';
}

async function panelData(api: PrometheusApi, spec: PanelSpec, window: SnapshotWindow): Promise<PanelData> {
  const data: PanelData = {
    title: spec.title,
    description: spec.description,
    kind: spec.kind,
    unit: spec.unit,
    width: spec.width ?? 12,
    height: spec.height ?? 8,
    thresholds: spec.thresholds ?? [],
    lowIsBad: spec.lowIsBad === true,
    min: spec.min,
    max: spec.max,
    stacked: spec.stacked === true,
    errors: [],
  };
  const guarded = async <T>(query: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await query();
    } catch (error) {
      data.errors.push((error as Error).message);
      return undefined;
    }
  };
  if (spec.kind === 'timeseries') {
    const start = api.time - window.rangeSeconds;
    const results = await Promise.all(
      spec.queries.map(async (query) => ({
        query,
        series: (await guarded(() => api.queryRange(substitute(query.expr, window), start, window.stepSeconds))) ?? [],
      })),
    );
    const times = [...new Set(results.flatMap((r) => r.series.flatMap((s) => s.points.map(([t]) => t))))].sort(
      (a, b) => a - b,
    );
    const index = new Map(times.map((t, i) => [t, i]));
    data.times = times;
    data.series = results.flatMap(({ query, series }) =>
      series.map((one) => {
        const values: (number | null)[] = times.map(() => null);
        for (const [t, v] of one.points) values[index.get(t)!] = v;
        return { name: legendOf(query.legend, one.labels), values };
      }),
    );
    return data;
  }
  const results = await Promise.all(
    spec.queries.map(async (query) => ({
      query,
      samples: (await guarded(() => api.query(substitute(query.expr, window)))) ?? [],
    })),
  );
  if (spec.kind === 'table') {
    // As Grafana's merge: one row per label set, a column per label, then one value column per query.
    const labelNames = [...new Set(results.flatMap((r) => r.samples.flatMap((s) => Object.keys(s.labels))))].sort();
    const rows = new Map<string, string[]>();
    results.forEach(({ samples }, column) => {
      for (const sample of samples) {
        const key = labelNames.map((name) => sample.labels[name] ?? '').join('\u0000');
        let row = rows.get(key);
        if (!row)
          rows.set(key, (row = [...labelNames.map((name) => sample.labels[name] ?? ''), ...results.map(() => '')]));
        row[labelNames.length + column] = String(sample.value);
      }
    });
    const valueColumns = results.map((_, i) =>
      results.length === 1 ? 'Value' : `Value #${String.fromCharCode(65 + i)}`,
    );
    data.table = { columns: [...labelNames, ...valueColumns], rows: [...rows.values()] };
    return data;
  }
  data.values = results.flatMap(({ query, samples }) =>
    samples
      .filter((sample) => Number.isFinite(sample.value))
      .map((sample) => ({ name: legendOf(query.legend, sample.labels), value: sample.value })),
  );
  return data;
}

/** Run every query of `spec` and collect its panels' data. */
export async function dashboardData(
  api: PrometheusApi,
  spec: DashboardSpec,
  meta: { uid: string; title: string },
  window: SnapshotWindow,
): Promise<DashboardData> {
  const items = await Promise.all(
    spec.items.map(async (item): Promise<ItemData> =>
      'row' in item ? { row: item.row.replace(/:?\s*\$\w+/g, '') } : await panelData(api, item, window),
    ),
  );
  return { uid: meta.uid, title: meta.title, description: spec.description, items };
}

/** Whether a panel drew anything: a series with a value, a value, or a table row. */
export function hasData(panel: PanelData): boolean {
  if (panel.series) return panel.series.some((s) => s.values.some((v) => v !== null));
  if (panel.values) return panel.values.length > 0;
  return (panel.table?.rows.length ?? 0) > 0;
}
