// Renders a results file of bench/run.mjs as the Markdown tables of BENCHMARKS.md, and writes them between its
// markers. `node bench/report.mjs bench/results/<date>.json [--write]` re-renders a stored run.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';

const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';

const fixed = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '—');
const ratio = (value) => (Number.isFinite(value) ? `${value.toFixed(3)}x` : '—');
const signed = (value, digits = 1) =>
  Number.isFinite(value) ? `${value >= 0 ? '+' : ''}${value.toFixed(digits)}` : '—';
const mb = (bytes) => (Number.isFinite(bytes) ? (bytes / 2 ** 20).toFixed(0) : '—');
const percent = (value) => (Number.isFinite(value) ? `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)} %` : '—');

/** The q-quantile (0..1) of the finite values, interpolated between order statistics. */
export function quantile(values, q) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const at = q * (sorted.length - 1);
  const low = Math.floor(at);
  return sorted[low] + (sorted[Math.min(low + 1, sorted.length - 1)] - sorted[low]) * (at - low);
}

/** The ratios a variant's windows got against the mean of the two baseline windows around each (1 for a baseline). */
export function roundRatios(rounds, key) {
  return (rounds ?? []).map((r) => (r.baseline ? r[key] / ((r.baseline[0][key] + r.baseline[1][key]) / 2) : 1));
}

/** Median and spread over rounds of one ratio: interquartile range and extremes. */
export function ratioStats(rounds, key) {
  const values = roundRatios(rounds, key);
  return {
    median: quantile(values, 0.5),
    q1: quantile(values, 0.25),
    q3: quantile(values, 0.75),
    min: quantile(values, 0),
    max: quantile(values, 1),
  };
}

// The per-window figures each ratio is taken of, by the name of its ratio.
const RATIO_KEYS = { throughput: 'throughput', cpu: 'cpuPerRequest', p50: 'p50', p99: 'p99' };

/** A tool's ratios with their spread: as stored by bench/run.mjs, or recomputed from its rounds (older results). */
function ratiosOf(t) {
  return Object.fromEntries(
    Object.entries(RATIO_KEYS).map(([name, key]) => [
      name,
      t.ratios?.[name] ?? (t.rounds?.[0]?.[key] !== undefined ? ratioStats(t.rounds, key) : { median: NaN }),
    ]),
  );
}

/** A ratio cell: the median over rounds, then the interquartile range over rounds. */
function ratioCell(stats, isBaseline) {
  if (isBaseline || !Number.isFinite(stats?.q1)) return ratio(stats?.median);
  return `${ratio(stats.median)} (${stats.q1.toFixed(3)}–${stats.q3.toFixed(3)})`;
}

/**
 * The run's noise floor: the peers that record nothing per request (no span, no log record reached the sink) cost
 * next to nothing, so their deviation from 1.00x is what the harness cannot resolve. The largest deviation over
 * those peers and the tools, in throughput and in CPU per request; undefined when no such peer ran.
 */
export function noiseFloor(http) {
  const peers = (http?.variants ?? []).filter(
    (v) =>
      v.peer &&
      !v.failure &&
      v.telemetry &&
      v.telemetry.spansPerRequest === 0 &&
      v.telemetry.serverSpansPerRequest === 0 &&
      v.telemetry.logRecordsPerRequest === 0,
  );
  const cases = peers.flatMap((v) =>
    Object.entries(v.tools ?? {}).map(([tool, t]) => {
      const ratios = ratiosOf(t);
      return { id: v.id, tool, throughput: ratios.throughput.median, cpu: ratios.cpu.median };
    }),
  );
  if (cases.length === 0) return undefined;
  const worst = (key) => Math.max(...cases.map((c) => Math.abs(c[key] - 1)).filter((d) => Number.isFinite(d)));
  return { peers: peers.map((v) => v.id), cases, throughput: worst('throughput'), cpu: worst('cpu') };
}

function noiseFloorLine(http) {
  const floor = noiseFloor(http);
  if (!floor) {
    return (
      '**Noise floor this run: not stated**: no peer that records nothing per request ran (traceloop and arize ' +
      'record nothing in this set-up), so nothing here says how large a difference this run can resolve.'
    );
  }
  const pct = (value) => (Number.isFinite(value) ? `±${(value * 100).toFixed(1)}%` : '±—');
  const detail = floor.cases
    .map((c) => `${c.id} \`${c.tool}\` ${ratio(c.throughput)} throughput, ${ratio(c.cpu)} CPU`)
    .join('; ');
  return (
    `**Noise floor this run: ${pct(floor.throughput)} throughput, ${pct(floor.cpu)} CPU**: the largest deviation ` +
    `from 1.00x of the peers that record nothing per request (${detail}). They still patch the SDK and some ` +
    'register an OpenTelemetry SDK, so this bounds the noise from above; a difference smaller than it is not ' +
    'resolved by this run.'
  );
}

function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function httpTable(http, tool) {
  const header = [
    'variant',
    'req/s',
    'throughput × plain',
    'CPU × plain',
    'p50 ms',
    'p50 × plain',
    'p99 ms',
    'p99 × plain',
    'server CPU µs/req',
    'added µs/req',
    'RSS MiB',
    'SERVER spans / all spans / log records per req',
    'other load, cores',
  ];
  const rows = http.variants.flatMap((v) => {
    if (v.failure)
      return tool === http.plan.tools[0] ? [[v.label, 'did not run', ...header.slice(2).map(() => '')]] : [];
    const t = v.tools[tool];
    if (!t) return [];
    const spans = v.telemetry.serverSpansPerRequest;
    const ratios = ratiosOf(t);
    const isBaseline = v.id === v.baseline;
    return [
      [
        v.label,
        fixed(t.throughput, 0),
        ratioCell(ratios.throughput, isBaseline),
        ratioCell(ratios.cpu, isBaseline),
        fixed(t.p50, 2),
        ratioCell(ratios.p50, isBaseline),
        fixed(t.p99, 2),
        ratioCell(ratios.p99, isBaseline),
        fixed(t.cpuPerRequest, 0),
        isBaseline ? '' : signed(t.addedCpuPerRequest, 0),
        mb(t.rss),
        `${fixed(spans, 2)} / ${fixed(v.telemetry.spansPerRequest, 2)} / ${fixed(v.telemetry.logRecordsPerRequest, 2)}`,
        fixed(t.foreignCores, 2),
      ],
    ];
  });
  return table(header, rows);
}

function cpuTable(micro) {
  const rows = [];
  const versions = Object.values(micro).filter(Boolean);
  for (const process of ['cpuOff', 'cpuOn']) {
    const names = Object.keys(versions[0][process].inMemory);
    for (const name of names) {
      const cells = [process === 'cpuOn' ? `${name} (OTel SDK registered)` : name];
      for (const m of versions) {
        const run = m[process];
        const plain = (kind) => run[kind].plain;
        cells.push(
          fixed(run.inMemory[name], 1),
          name === 'plain' ? '' : signed(run.inMemory[name] - plain('inMemory')),
          fixed(run.dispatch[name], 2),
          name === 'plain' ? '' : signed(run.dispatch[name] - plain('dispatch'), 2),
          name === 'plain' ? '' : signed(run.build[name] - plain('build')),
        );
      }
      rows.push(cells);
    }
  }
  const header = ['variant'];
  for (const m of versions) {
    const v = `Node ${m.node.split('.')[0]}`;
    header.push(
      `${v} in-memory µs/req`,
      `${v} added`,
      `${v} dispatch µs/req`,
      `${v} added`,
      `${v} added per server built`,
    );
  }
  return table(header, rows);
}

function renderTable(micro) {
  const rows = [];
  for (const m of Object.values(micro).filter(Boolean)) {
    for (const [format, r] of [
      ['Prometheus text', m.render.prometheus],
      ['OpenMetrics', m.render.openMetrics],
    ]) {
      rows.push([
        `Node ${m.node}`,
        format,
        String(m.render.tenantsAdmitted),
        String(r.series),
        fixed(r.bytes / 1024, 0),
        fixed(r.ms, 1),
        fixed(r.maxMs, 1),
      ]);
    }
  }
  return table(['runtime', 'format', 'tenants admitted', 'series', 'KiB', 'median ms', 'max ms'], rows);
}

function memoryTable(memory) {
  const pick = [memory.samples[0], ...memory.samples.filter((_, i) => i % 4 === 3)];
  return table(
    ['requests', 'RSS MiB', 'heap used MiB (after GC)'],
    pick.map((s) => [s.requests.toLocaleString('en-US'), mb(s.rss), fixed(s.heapUsed / 2 ** 20, 1)]),
  );
}

/** The project's goals, each with where this run landed. */
export function targets(results) {
  const rows = [];
  const http = results.http;
  const variant = (id) => http?.variants.find((v) => v.id === id && !v.failure);
  const tools = http?.plan.tools ?? [];
  for (const [id, goal] of [
    ['all', 0.95],
    ['metrics-logs', 0.98],
  ]) {
    const v = variant(id);
    if (!v) continue;
    for (const tool of tools) {
      const measured = v.tools[tool].throughputRatio;
      rows.push([`${v.label} throughput, \`${tool}\``, `>= ${goal}x plain`, ratio(measured), measured >= goal]);
    }
  }
  const m = results.micro?.node20;
  if (m) {
    for (const [process, name] of [
      ['cpuOff', 'metrics + logs'],
      ['cpuOn', 'metrics + logs + traces'],
    ]) {
      const added = m[process].inMemory[name] - m[process].inMemory.plain;
      rows.push([`added CPU per request, ${name} (in-memory, Node 20)`, '<= 4 µs', `${fixed(added)} µs`, added <= 4]);
    }
    const all = variant('all');
    if (all) {
      const added = all.tools.echo.addedCpuPerRequest;
      rows.push([
        'added CPU per request, all signals over HTTP (`echo`)',
        '<= 4 µs',
        `${fixed(added, 0)} µs`,
        added <= 4,
      ]);
    }
    const worst = Math.max(m.render.prometheus.ms, m.render.openMetrics.ms);
    rows.push([
      '`/metrics` render at the guard maximum (slower format)',
      '<= 20 ms',
      `${fixed(worst)} ms`,
      worst <= 20,
    ]);
    if (m.memory) {
      // Flat means no growth: RSS that falls after warm-up (the allocator handing pages back) is no leak.
      const growth = m.memory.rssGrowth;
      rows.push([
        `RSS over ${m.memory.requests.toLocaleString('en-US')} requests (last three vs first three samples)`,
        'grows < 10 %',
        `${percent(growth)} (heap after GC ${percent(m.memory.heapGrowth)})`,
        growth < 0.1 && m.memory.heapGrowth < 0.1,
      ]);
    }
  }
  for (const [version, entries] of Object.entries(results.import ?? {})) {
    const root = entries.find((entry) => entry.id === 'root');
    rows.push([
      `import of the package root vs prom-client + @opentelemetry/api (Node ${version.slice(4)})`,
      '<= 1.3x time, no generator module',
      `${ratio(root.ratio)}, ${root.tooling.length} generator modules`,
      root.ratio <= 1.3 && root.tooling.length === 0,
    ]);
  }
  return rows;
}

/** Import cost of each entry, per Node version. */
function importTable(imports) {
  return table(
    ['entry', 'Node', 'import ms (median)', '× prom-client + api', 'ES modules', 'generator modules loaded'],
    Object.entries(imports).flatMap(([version, entries]) =>
      entries.map((entry) => [
        entry.label,
        version.slice(4),
        fixed(entry.ms),
        ratio(entry.ratio),
        String(entry.modules),
        entry.tooling.length ? entry.tooling.join(', ') : 'none',
      ]),
    ),
  );
}

export function renderReport(results) {
  const out = [];
  const { machine } = results;
  out.push(`Run of ${results.date.slice(0, 16).replace('T', ' ')} UTC, \`${results.command}\`, ${results.seconds} s.`);
  out.push('### Targets');
  out.push(
    table(
      ['goal', 'target', 'measured', 'met'],
      targets(results).map(([goal, target, measured, met]) => [goal, target, measured, met ? 'yes' : '**no**']),
    ),
  );
  if (results.http) {
    const { plan } = results.http;
    out.push('### HTTP: against the plain SDK server and peers');
    out.push(
      `${plan.rounds} rounds; in each, every variant gets a ${plan.seconds} s window (after a ${plan.preloadSeconds} s ` +
        `preload) between two windows of its baseline, and its ratios and added CPU are taken against the mean of ` +
        `those two; medians over rounds, each ratio followed by its interquartile range over rounds in brackets. ` +
        `CPU × plain is server CPU per request against the baseline's, which scheduling noise moves far less than ` +
        `throughput. ${plan.connections} connections, a ${plan.warmupSeconds} s warm-up per ` +
        `variant and tool. \`work\` does ${results.http.workIterations.toLocaleString('en-US')} iterations (about 1 ms ` +
        `of CPU). Spans and log records are what the OTLP sink received, per request served; for Sentry, what its ` +
        `envelope endpoint received: each transaction is one span plus its child spans, and its SERVER spans are ` +
        `the \`mcp.server\` transactions. ` +
        `${results.http.retries ?? 0} windows were measured again because other processes were busy.`,
    );
    out.push(noiseFloorLine(results.http));
    for (const tool of plan.tools) {
      out.push(`#### \`${tool}\``);
      out.push(httpTable(results.http, tool));
    }
    const failed = results.http.variants.filter((v) => v.failure);
    for (const v of failed) out.push(`- ${v.label} did not run: ${v.failure.split('\n')[0]}`);
  }
  if (results.micro) {
    out.push('### In process: CPU per request');
    out.push(
      'A `tools/call` of `echo` through the SDK Client over the in-memory transport (client and server CPU), the ' +
        'direct dispatch of bench/quick-overhead.mjs, and what building one instrumented per-request server adds ' +
        '(stateless HTTP builds one per request). Variants that trace run in a process with the OpenTelemetry SDK ' +
        'registered (exporters that accept at once), compared with a plain server in that same process.',
    );
    out.push(cpuTable(results.micro));
    out.push('### `/metrics` at the cardinality guard maximum');
    out.push(
      `${results.micro.node20.render.requests.toLocaleString('en-US')} requests through \`instrument()\` from 150 ` +
        'tenants over every method and outcome (ok, `tool_error`, -32602, -32002, -32601); 20 tools; process ' +
        'metrics on. `renderMetrics(registry, false | true)`.',
    );
    out.push(renderTable(results.micro));
    const memory = results.micro.node20.memory;
    if (memory) {
      out.push('### Memory over a million requests');
      out.push(
        `${memory.requests.toLocaleString('en-US')} requests, all signals, through ${memory.sessions.toLocaleString('en-US')} ` +
          `sessions (in-memory transport) with tenants rotating over ${memory.tenants.toLocaleString('en-US')}; ` +
          `sampled after \`gc()\` every ${(memory.requests / 20).toLocaleString('en-US')} requests ` +
          `(${fixed(memory.seconds, 0)} s). RSS settles over the first tenth, then moves ±10 % between samples as the ` +
          'allocator returns pages, so the median of the first three samples after that tenth is compared with the ' +
          `median of the last three: RSS ${mb(memory.first.rss)} → ${mb(memory.last.rss)} MiB ` +
          `(${percent(memory.rssGrowth)}), heap ${fixed(memory.first.heapUsed / 2 ** 20)} → ` +
          `${fixed(memory.last.heapUsed / 2 ** 20)} MiB (${percent(memory.heapGrowth)}).`,
      );
      out.push(memoryTable(memory));
    }
  }
  if (results.import) {
    out.push('### Import at start-up');
    out.push(
      'Each entry imported in a fresh process, the processes alternating, median over the runs ' +
        '([bench/import.mjs](bench/import.mjs)); ES modules resolved, counted by a module hook.',
    );
    out.push(importTable(results.import));
  }
  out.push('### Machine');
  const packages = Object.entries(machine.packages)
    .filter(([, version]) => version)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  out.push(
    table(
      ['', ''],
      [
        ['CPU', `${machine.cpu}${machine.mhz ? ` (${Math.round(machine.mhz)} MHz)` : ''}`],
        ['cores', String(machine.cores)],
        ['memory', `${machine.memoryGiB} GiB`],
        ['OS', `${machine.os}, Linux ${machine.kernel}`],
        ['Node.js', `${machine.node}${machine.node24 ? ` (HTTP, micro) and ${machine.node24} (micro)` : ''}`],
        ['packages', packages],
        [
          'measured',
          `commit ${machine.commit}${machine.libChanged ? ` with ${machine.libChanged} changed files in lib/` : ''}`,
        ],
      ],
    ),
  );
  return `${out.join('\n\n')}\n`;
}

/** Replace the results section of BENCHMARKS.md, formatted as the repository's Prettier formats Markdown. */
export async function updateDoc(path, report) {
  const doc = readFileSync(path, 'utf8');
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${path} has no ${START} … ${END} section`);
  const next = `${doc.slice(0, start + START.length)}\n\n${report}\n${doc.slice(end)}`;
  const config = (await prettier.resolveConfig(path)) ?? {};
  writeFileSync(path, await prettier.format(next, { ...config, filepath: path }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: node bench/report.mjs bench/results/<date>.json [--write]');
  const report = renderReport(JSON.parse(readFileSync(file, 'utf8')));
  if (process.argv.includes('--write')) {
    await updateDoc(fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url)), report);
  } else {
    console.log(report);
  }
}
