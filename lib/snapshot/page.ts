/**
 * A dashboard snapshot as one self-contained HTML page: uPlot (a small, well-kept time-series chart library) and its
 * CSS inlined, the data as JSON, and a short script that lays the panels out on Grafana's 24-column grid — time series
 * as uPlot charts with threshold lines, stat and bar-gauge values coloured by their thresholds, tables as tables.
 * The page needs no network: it opens from a file, a CI artefact or a mail.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { DashboardData } from './data.js';

const require = createRequire(import.meta.url);
let uplot: { js: string; css: string } | undefined;

function uplotAssets(): { js: string; css: string } {
  uplot ??= {
    js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
  return uplot;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** JSON inside a script element: `</script>` and U+2028/2029 must not end or break it. */
const scriptJson = (value: unknown) =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

export interface PageMeta {
  /** Where the data came from and when: shown under the title. */
  source: string;
  /** Links to the other dashboards: [title, href]. */
  links: [string, string][];
}

const STYLE = `
body { margin: 0; font: 13px/1.4 system-ui, sans-serif; background: #111217; color: #ccccdc; }
header { padding: 12px 16px; border-bottom: 1px solid #2c2e33; }
header h1 { margin: 0 0 4px; font-size: 18px; color: #fff; }
header p { margin: 0; color: #8e8e99; }
nav a { color: #6e9fff; margin-right: 12px; text-decoration: none; }
main { display: grid; grid-template-columns: repeat(24, 1fr); gap: 8px; padding: 8px 16px 24px; }
h2.row { grid-column: span 24; margin: 12px 0 0; font-size: 15px; color: #fff; }
section.panel { background: #181b1f; border: 1px solid #2c2e33; border-radius: 3px; padding: 6px 8px; overflow: hidden; }
section.panel h3 { margin: 0 0 4px; font-size: 13px; color: #fff; }
section.panel .empty { color: #8e8e99; padding: 24px 0; text-align: center; }
section.panel .error { color: #f2495c; }
.stat { display: flex; flex-wrap: wrap; gap: 6px; }
.stat div { flex: 1; min-width: 90px; padding: 12px 8px; border-radius: 3px; color: #fff; font-size: 26px; text-align: center; }
.stat small { display: block; font-size: 11px; opacity: .8; }
.bar { display: grid; grid-template-columns: 35% 1fr 80px; gap: 6px; align-items: center; margin: 3px 0; }
.bar span:first-child { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.bar i { display: block; height: 14px; border-radius: 2px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #2c2e33; white-space: nowrap; }
.u-legend { font-size: 11px; color: #ccccdc; }
`;

// Runs in the page: draws what the JSON holds. `fmt` follows Grafana's units of the same names.
const CLIENT = `
const data = JSON.parse(document.getElementById('snapshot-data').textContent);
const COLORS = { green: '#73bf69', yellow: '#fade2a', orange: '#ff9830', red: '#f2495c' };
const PALETTE = ['#7eb26d', '#eab839', '#6ed0e0', '#ef843c', '#e24d42', '#1f78c1', '#ba43a9', '#705da0', '#508642', '#cca300'];
function num(v) { const a = Math.abs(v); return a >= 1e6 ? (v / 1e6).toFixed(2) + 'M' : a >= 1e3 ? (v / 1e3).toFixed(2) + 'K' : a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(2) : v.toPrecision(2); }
function fmt(v, unit) {
  if (v === null || v === undefined || !isFinite(v)) return '–';
  switch (unit) {
    case 'percentunit': return (v * 100).toFixed(Math.abs(v) < 0.1 ? 2 : 1) + '%';
    case 'reqps': return num(v) + ' req/s';
    case 'ops': return num(v) + ' ops/s';
    case 's': { const a = Math.abs(v); return a < 1 ? (v * 1000).toFixed(a < 0.01 ? 2 : 0) + ' ms' : a < 60 ? v.toFixed(2) + ' s' : a < 3600 ? (v / 60).toFixed(1) + ' min' : a < 86400 ? (v / 3600).toFixed(1) + ' h' : (v / 86400).toFixed(1) + ' d'; }
    case 'bytes': { const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB']; let i = 0; while (Math.abs(v) >= 1024 && i < 4) { v /= 1024; i++; } return v.toFixed(i ? 1 : 0) + ' ' + u[i]; }
    default: return num(v);
  }
}
function colorOf(v, panel) {
  let color = panel.lowIsBad ? 'red' : 'green';
  for (const t of panel.thresholds) if (v >= t.value) color = panel.lowIsBad && t.color === 'red' ? 'green' : t.color;
  return COLORS[color] || color;
}
function el(tag, attrs, text) { const e = document.createElement(tag); Object.assign(e, attrs || {}); if (text !== undefined) e.textContent = text; return e; }
const main = document.querySelector('main');
for (const item of data.items) {
  if (item.row !== undefined) { main.append(el('h2', { className: 'row' }, item.row)); continue; }
  const panel = el('section', { className: 'panel', title: item.description });
  panel.style.gridColumn = 'span ' + item.width;
  panel.dataset.panel = item.title;
  panel.dataset.kind = item.kind;
  panel.append(el('h3', {}, item.title));
  const height = item.height * 30;
  let drawn = false;
  if (item.kind === 'timeseries' && item.series.some((s) => s.values.some((v) => v !== null))) {
    const width = Math.max(200, main.clientWidth * item.width / 24 - 24);
    const series = [{}].concat(item.series.map((s, i) => ({ label: s.name, stroke: PALETTE[i % PALETTE.length], width: 1.5,
      fill: item.stacked ? PALETTE[i % PALETTE.length] + '33' : undefined, value: (u, v) => fmt(v, item.unit) })));
    const values = item.series.map((s) => s.values);
    if (item.stacked) for (let i = 1; i < values.length; i++) values[i] = values[i].map((v, j) => v === null ? null : v + (values[i - 1][j] || 0));
    const plot = new uPlot({ width, height: height - 40, series,
      scales: { y: { range: (u, lo, hi) => [Math.min(0, lo), hi > lo ? hi : lo + 1] } },
      axes: [{ stroke: '#8e8e99', grid: { stroke: '#2c2e33' } }, { stroke: '#8e8e99', grid: { stroke: '#2c2e33' }, size: (u, values) => values ? Math.max(...values.map((v) => v.length)) * 7 + 18 : 50, values: (u, ticks) => ticks.map((v) => fmt(v, item.unit)) }],
      hooks: { draw: [(u) => { const ctx = u.ctx; for (const t of item.thresholds) { const y = u.valToPos(t.value, 'y', true); if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) continue; ctx.save(); ctx.strokeStyle = COLORS[t.color]; ctx.setLineDash([6, 4]); ctx.beginPath(); ctx.moveTo(u.bbox.left, y); ctx.lineTo(u.bbox.left + u.bbox.width, y); ctx.stroke(); ctx.restore(); } }] },
    }, [item.times].concat(values), panel);
    drawn = plot !== undefined;
  } else if ((item.kind === 'stat' || item.kind === 'bargauge') && item.values.length > 0) {
    if (item.kind === 'stat') {
      const box = el('div', { className: 'stat' });
      for (const v of item.values) { const cell = el('div', {}, fmt(v.value, item.unit)); cell.style.background = colorOf(v.value, item); if (item.values.length > 1) cell.append(el('small', {}, v.name)); box.append(cell); }
      panel.append(box);
    } else {
      const max = item.max !== undefined && item.max !== null ? item.max : Math.max(...item.values.map((v) => v.value));
      for (const v of item.values) { const row = el('div', { className: 'bar' }); const bar = el('i'); bar.style.width = Math.max(1, 100 * v.value / (max || 1)) + '%'; bar.style.background = colorOf(v.value, item); const track = el('span'); track.append(bar); row.append(el('span', {}, v.name), track, el('span', {}, fmt(v.value, item.unit))); panel.append(row); }
    }
    drawn = true;
  } else if (item.kind === 'table' && item.table.rows.length > 0) {
    const table = el('table'); const head = el('tr'); for (const c of item.table.columns) head.append(el('th', {}, c)); table.append(head);
    const values = item.table.columns.filter((c) => c.startsWith('Value')).length;
    for (const r of item.table.rows) { const tr = el('tr'); r.forEach((cell, i) => tr.append(el('td', {}, i >= r.length - values && cell !== '' ? fmt(Number(cell), item.unit) : cell))); table.append(tr); }
    panel.append(table); drawn = true;
  }
  if (!drawn) panel.append(el('div', { className: 'empty' }, 'No data'));
  for (const e of item.errors) panel.append(el('div', { className: 'error' }, e));
  panel.style.minHeight = height + 'px';
  panel.dataset.state = item.errors.length > 0 ? 'error' : drawn ? 'data' : 'empty';
  main.append(panel);
}
document.documentElement.dataset.rendered = 'true';
`;

/** The page of one dashboard. */
export function renderPage(dashboard: DashboardData, meta: PageMeta): string {
  const { js, css } = uplotAssets();
  const links = meta.links.map(([title, href]) => `<a href="${escapeHtml(href)}">${escapeHtml(title)}</a>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(dashboard.title)}</title>
<style>${css}${STYLE}</style>
</head>
<body>
<header>
<h1>${escapeHtml(dashboard.title)}</h1>
<p>${escapeHtml(dashboard.description)}</p>
<p>${escapeHtml(meta.source)}</p>
<nav>${links}</nav>
</header>
<main></main>
<script type="application/json" id="snapshot-data">${scriptJson(dashboard)}</script>
<script>${js}</script>
<script>${CLIENT}</script>
</body>
</html>
`;
}

/** A page listing the dashboards. */
export function renderIndex(title: string, source: string, links: [string, string][]): string {
  const items = links
    .map(([name, href]) => `<li><a href="${escapeHtml(href)}">${escapeHtml(name)}</a></li>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE} li { margin: 6px 0; } a { color: #6e9fff; }</style></head>
<body><header><h1>${escapeHtml(title)}</h1><p>${escapeHtml(source)}</p></header><ul>
${items}
</ul></body>
</html>
`;
}
