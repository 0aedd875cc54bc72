/** `mcp-observatory snapshot`: the bundle's dashboards drawn from a live Prometheus, as files or served live. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.js';
import { DASHBOARDS, seconds } from '../generate/conventions.js';
import { dashboardSpecs } from '../generate/dashboards/index.js';
import type { DashboardSpec } from '../generate/dashboards/panels.js';
import { buildModel } from '../generate/model.js';
import type { Model } from '../generate/model.js';
import { ReportUsageError } from '../report/errors.js';
import { PROMETHEUS_FLAGS, configPath, prometheusUrl, promDuration, requestTimeout } from '../report/options.js';
import { PrometheusApi } from '../report/prometheus.js';
import { screenshot } from './browser.js';
import { dashboardData, hasData } from './data.js';
import type { SnapshotWindow } from './data.js';
import { renderIndex, renderPage } from './page.js';

export const SNAPSHOT_HELP = `Usage: mcp-observatory snapshot [options]

Draws the bundle's dashboards from a live Prometheus without Grafana: every panel of the same definitions the Grafana
JSON is generated from, its queries run as Grafana runs them (every value of each variable, or --job), as one
self-contained HTML page per dashboard (uPlot charts inlined, no network needed) and, with --png, a screenshot of each
taken in a headless Chromium. With --serve the pages are served instead, each request drawn afresh.

Options:
  --prometheus URL   the Prometheus HTTP API (default: $PROMETHEUS_URL, else http://127.0.0.1:9090)
  --out DIR          where index.html and the pages go (default: snapshots)
  --range D          the history the time series show, a Prometheus duration (default 1h)
  --job NAME         only this job (default: every job)
  --config FILE      the configuration the dashboards come from (default: ./mcp-observatory.yaml if it exists)
  --png              also <uid>.png of each page (needs Chromium and playwright-core)
  --serve HOST:PORT  serve the pages live on HOST:PORT until stopped, instead of writing files
  --timeout D        timeout of each Prometheus request (default 10s)
  --help             show this help

Exits 0 when written (or when serving stops), 2 on a bad command line, 3 when Prometheus cannot be reached.`;

interface Snapshot {
  api: PrometheusApi;
  model: Model;
  window: SnapshotWindow;
  range: string;
}

const pageName = (uid: string) => `${uid}.html`;

function links(model: Model): [string, string][] {
  return dashboardSpecs(model).map((spec) => [DASHBOARDS[spec.key].title, pageName(DASHBOARDS[spec.key].uid)]);
}

/** The page of one dashboard, and the titles of its panels without data. */
async function page(snapshot: Snapshot, spec: DashboardSpec): Promise<{ uid: string; html: string; empty: string[] }> {
  const { api, model, window, range } = snapshot;
  const at = new Date(api.time * 1000)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
  const source = `snapshot of the last ${range} at ${at} from ${api.url.href}${window.job === '.*' ? '' : `, job ${window.job}`}`;
  const meta = DASHBOARDS[spec.key];
  const data = await dashboardData(api, spec, meta, window);
  const empty = data.items.flatMap((item) => ('row' in item || hasData(item) ? [] : [item.title]));
  return { uid: meta.uid, html: renderPage(data, { source, links: links(model) }), empty };
}

function parse(args: string[], env: Record<string, string | undefined>) {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...PROMETHEUS_FLAGS,
      out: { type: 'string' },
      range: { type: 'string' },
      png: { type: 'boolean' },
      serve: { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new ReportUsageError(`snapshot takes no arguments, got ${positionals.join(' ')}`);
  const range = promDuration('--range', values.range ?? '1h', '1h, 30m or 1d');
  let serve: { host: string; port: number } | undefined;
  if (values.serve !== undefined) {
    const match = /^(.+):(\d{1,5})$/.exec(values.serve);
    if (!match || Number(match[2]) > 65535) {
      throw new ReportUsageError(`--serve ${values.serve}: give HOST:PORT, e.g. --serve 127.0.0.1:3002`);
    }
    if (values.png)
      throw new ReportUsageError('--png and --serve exclude each other: screenshots are of written pages');
    serve = { host: match[1]!, port: Number(match[2]) };
  }
  if (values.job !== undefined && !/^[A-Za-z0-9_.:/-]+$/.test(values.job)) {
    throw new ReportUsageError(`--job ${values.job}: letters, digits, _ . : / - only, as a Prometheus job`);
  }
  return {
    prometheus: prometheusUrl(values.prometheus, env),
    out: values.out ?? 'snapshots',
    range,
    job: values.job,
    config: configPath(values.config),
    png: values.png === true,
    serve,
    timeoutMs: requestTimeout(values.timeout),
  };
}

export async function snapshotCommand(args: string[], env = process.env): Promise<number> {
  const options = parse(args, env);
  const model = buildModel(loadConfig(options.config));
  const api = () => new PrometheusApi(options.prometheus, options.timeoutMs);
  const rangeSeconds = seconds(options.range);
  // About 240 points a series, never finer than a 15 s scrape.
  const window: SnapshotWindow = {
    rangeSeconds,
    stepSeconds: Math.max(15, Math.round(rangeSeconds / 240)),
    job: options.job === undefined ? '.*' : options.job.replace(/[.]/g, '\\\\.'),
  };
  // Reach Prometheus before anything is written or served: an unreachable one is exit 3, and nothing changes.
  await api().query('vector(1)');
  if (options.serve) return serve(options.serve, () => ({ api: api(), model, window, range: options.range }));

  const out = resolve(options.out);
  const current = { api: api(), model, window, range: options.range };
  const drawn = await Promise.all(dashboardSpecs(model).map((spec) => page(current, spec)));
  mkdirSync(out, { recursive: true });
  for (const page of drawn) writeFileSync(join(out, pageName(page.uid)), page.html);
  writeFileSync(
    join(out, 'index.html'),
    renderIndex('MCP dashboards', `snapshot of the last ${options.range}`, links(model)),
  );
  if (options.png) {
    await screenshot(
      drawn.map((page) => ({
        url: pathToFileURL(join(out, pageName(page.uid))).href,
        png: join(out, `${page.uid}.png`),
      })),
    );
  }
  for (const page of drawn) {
    const note = page.empty.length > 0 ? `; no data: ${page.empty.join(', ')}` : '';
    process.stdout.write(`snapshot: ${join(out, pageName(page.uid))}${options.png ? ' (+ .png)' : ''}${note}\n`);
  }
  return 0;
}

/** Serve the pages until SIGINT or SIGTERM; each request queries Prometheus afresh. */
async function serve(at: { host: string; port: number }, snapshot: () => Snapshot): Promise<number> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://snapshot').pathname;
    const current = snapshot();
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(renderIndex('MCP dashboards', `live from ${current.api.url.href}`, links(current.model)));
      return;
    }
    const spec = dashboardSpecs(current.model).find((s) => `/${pageName(DASHBOARDS[s.key].uid)}` === path);
    if (!spec) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('no such dashboard\n');
    page(current, spec)
      .then((drawn) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(drawn.html))
      .catch((error: unknown) => {
        res.writeHead(502, { 'content-type': 'text/plain' }).end(`Prometheus: ${(error as Error).message}\n`);
      });
  });
  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(at.port, at.host, ready);
  });
  const address = server.address() as { port: number };
  process.stdout.write(`snapshot: serving the dashboards at http://${at.host}:${address.port}/\n`);
  await new Promise<void>((stopped) => {
    const stop = () => server.close(() => stopped());
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
