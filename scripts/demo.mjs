// npm run demo: the monitoring topology of the compose stack, run natively on 127.0.0.1 — the reference MCP server, the
// OpenTelemetry Collector, Prometheus and Alertmanager with the generated configs, and the load generator with a fault
// drill. It prints where to look and a live summary, and stops everything cleanly after --duration or on Ctrl-C.
// A missing binary is named with how to install it, and the demo runs with the rest.
// The dashboards are drawn live from Prometheus by `mcp-observatory snapshot --serve` (Grafana runs in the compose
// stack only); --screenshots DIR saves a PNG of each at the end, as the README's images are made.
// With --profile scale-out it runs the scale-out topology instead: the server sends OTLP to an agent collector, which
// sends every trace whole to one of two gateway collectors; a Prometheus agent remote-writes to the Prometheus that
// evaluates the rules and pages through two Alertmanager peers.
//   npm run demo [-- --duration 5m] [-- --random-ports] [-- --screenshots DIR] [-- --profile scale-out]
import { randomBytes } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../dist/lib/config/config.js';
import { COLLECTOR_PATHS } from '../dist/lib/generate/collector.js';
import { agentCollectorConfig, gatewayCollectorConfig } from '../dist/lib/generate/scale-out/collectors.js';
import { SCALE_OUT_PATHS } from '../dist/lib/generate/scale-out/index.js';
import { collectorBinaryPath, findTool } from '../dist/lib/validate/tools.js';

const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5m' },
    'random-ports': { type: 'boolean', default: false },
    screenshots: { type: 'string' },
    profile: { type: 'string', default: 'single' },
  },
});
if (!['single', 'scale-out'].includes(values.profile)) {
  console.error(`demo: --profile ${values.profile}: expected single or scale-out`);
  process.exit(2);
}
const scaleOut = values.profile === 'scale-out';
const seconds = (text) => {
  const match = /^(\d+)(s|m|h)$/.exec(text);
  if (!match) throw new Error(`--duration ${text}: expected a duration such as 90s, 5m or 1h`);
  return Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2]];
};
const duration = seconds(values.duration);
const work = join(ROOT, '.tmp', 'demo');
const children = [];
let stopping = false;

async function freePort(preferred) {
  const tryPort = (port) =>
    new Promise((done) => {
      const server = createServer();
      server.once('error', () => done(undefined));
      server.listen(port, '127.0.0.1', () => server.close(() => done(server.address()?.port ?? port)));
    });
  if (!values['random-ports'] && preferred) {
    const port = await tryPort(preferred);
    if (port) return preferred;
  }
  const server = createServer();
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address();
  await new Promise((done) => server.close(done));
  return port;
}

function binary(names, install) {
  for (const name of names) {
    const path = findTool(name) ?? spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
    if (path) return path;
  }
  console.log(`demo: ${names[0]} is not installed (${install}); running without it`);
  return undefined;
}

/** Start a component; its output goes to .tmp/demo/<name>.log, its exit is reported unless we are stopping. */
function start(name, command, args, env = {}, cwd = ROOT) {
  const log = join(work, `${name}.log`);
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk) => {
      lines.push(chunk.toString());
      writeFileSync(log, chunk, { flag: 'a' });
    });
  }
  child.on('exit', (code, signal) => {
    if (!stopping) console.log(`demo: ${name} exited (${signal ?? code}); its log is ${log}`);
  });
  children.push({ name, child });
  return { child, output: () => lines.join('') };
}

async function waitUntil(what, probe, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return true;
    await new Promise((done) => setTimeout(done, 250));
  }
  console.log(`demo: ${what} did not come up within ${timeoutMs / 1000} s`);
  return false;
}

const ok = (url) => fetch(url).then((response) => response.ok);

async function query(prometheus, expr) {
  const response = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = await response.json();
  return body.data?.result ?? [];
}

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  console.log('\ndemo: stopping');
  for (const { child } of [...children].reverse()) child.kill('SIGTERM');
  await Promise.all(
    children.map(
      ({ child }) =>
        new Promise((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
          child.once('exit', () => (clearTimeout(kill), done()));
        }),
    ),
  );
  console.log(`demo: stopped; logs and data are in ${work}`);
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

// 1. The bundle, from the repository's configuration.
const generated = spawnSync(process.execPath, ['dist/lib/bin.js', 'generate', '--out', work], {
  cwd: ROOT,
  encoding: 'utf8',
});
if (generated.status !== 0) {
  console.error(generated.stderr);
  process.exit(1);
}
console.log(`demo: ${generated.stdout.trim()}`);

const ports = {
  mcp: values['random-ports'] ? 0 : await freePort(3000),
  prometheus: await freePort(9090),
  alertmanager: await freePort(9093),
  otlpHttp: await freePort(4318),
  otlpGrpc: await freePort(4317),
  collectorHealth: await freePort(13133),
  dashboards: await freePort(3002),
};

// 2. The collector, exporting to files (no Tempo or Loki here); in the scale-out profile, its two tiers.
const collectorBin = collectorBinaryPath(join(ROOT, COLLECTOR_PATHS.manifest));
let otlp;
/** The agent collector's endpoints, in the scale-out profile. */
let agent;
/** `count` free ports, all different: each stays bound until all are found. */
async function distinctPorts(count) {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = createServer();
      await new Promise((done) => server.listen(0, '127.0.0.1', done));
      return server;
    }),
  );
  const found = servers.map((server) => server.address().port);
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  return found;
}
/** The ports of `count` collectors, none shared. */
async function collectorPorts(count) {
  const found = await distinctPorts(5 * count);
  return Array.from({ length: count }, (_, i) => {
    const [otlpGrpc, otlpHttp, healthCheck, selfMetrics, prometheus] = found.slice(5 * i, 5 * i + 5);
    return { otlpGrpc, otlpHttp, healthCheck, selfMetrics, prometheus };
  });
}

/** Start otelcol-mcp with `collector` (a generated config object) as `name`, and wait for its health check. */
async function startCollector(name, collector, ports) {
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, stringify(collector, { lineWidth: 0, aliasDuplicateObjects: false }));
  start(name, collectorBin, [`--config=${file}`]);
  if (!(await waitUntil(name, () => ok(`http://127.0.0.1:${ports.healthCheck}/`)))) await stopAll(1);
}

if (!existsSync(collectorBin)) {
  console.log(`demo: the collector is not built (run 'npm run setup' to build otelcol-mcp); running without traces`);
} else if (scaleOut) {
  // The repository's configuration, its gateways where this machine runs them.
  const config = loadConfig(join(ROOT, 'mcp-observatory.yaml'));
  const [ports, ...gatewayPorts] = await collectorPorts(3);
  config.scaleOut.gateways = gatewayPorts.map((ports) => `127.0.0.1:${ports.otlpGrpc}`);
  for (const [i, ports] of gatewayPorts.entries()) {
    const fileDirectory = join(work, `gateway-${i}`);
    mkdirSync(fileDirectory, { recursive: true });
    await startCollector(
      `gateway-${i}`,
      gatewayCollectorConfig(config, { exporters: 'file', fileDirectory, host: '127.0.0.1', ports }),
      ports,
    );
  }
  await startCollector('agent', agentCollectorConfig(config, { host: '127.0.0.1', ports }), ports);
  agent = { spanMetrics: `127.0.0.1:${ports.prometheus}`, selfMetrics: `127.0.0.1:${ports.selfMetrics}` };
  otlp = `http://127.0.0.1:${ports.otlpHttp}`;
} else {
  const config = join(work, 'collector', 'config.file.yaml');
  // The file variant writes under ./otelcol-out: run it from the demo's work directory.
  mkdirSync(join(work, 'otelcol-out'), { recursive: true });
  start(
    'collector',
    collectorBin,
    [
      `--config=${config}`,
      `--set=receivers::otlp::protocols::http::endpoint=127.0.0.1:${ports.otlpHttp}`,
      `--set=receivers::otlp::protocols::grpc::endpoint=127.0.0.1:${ports.otlpGrpc}`,
      `--set=extensions::health_check::endpoint=127.0.0.1:${ports.collectorHealth}`,
    ],
    {},
    work,
  );
  otlp = `http://127.0.0.1:${ports.otlpHttp}`;
}

// 3. The reference MCP server. Its fault-injection endpoint is off unless given a token: this run's own, which only the
// demo's load generator knows.
const adminToken = randomBytes(16).toString('hex');
// With --random-ports the server picks its own port and says which: a port found free and then handed over could be
// taken by another process in between.
const server = start('mcp-server', process.execPath, ['examples/reference/server.mjs', '--port', String(ports.mcp)], {
  ...(otlp && { OTEL_EXPORTER_OTLP_ENDPOINT: otlp, OTEL_SERVICE_NAME: 'mcp-server' }),
  LOG_LEVEL: 'warn',
  ADMIN_TOKEN: adminToken,
});
if (values['random-ports']) {
  await waitUntil('the reference MCP server to name its port', async () => {
    const bound = /MCP\s+http:\/\/127\.0\.0\.1:(\d+)\/mcp/.exec(server.output());
    if (bound) ports.mcp = Number(bound[1]);
    return bound !== null;
  });
}
const mcp = `http://127.0.0.1:${ports.mcp}`;
if (!(await waitUntil('the reference MCP server', () => ok(`${mcp}/health/live`)))) await stopAll(1);

// 4. Alertmanager and Prometheus with the generated configs; in the scale-out profile two Alertmanager peers in a
// cluster, and a Prometheus agent that remote-writes to the Prometheus that evaluates the rules.
const alertmanagerBin = binary(['alertmanager', 'prometheus-alertmanager'], 'apt-get install prometheus-alertmanager');
const alertmanagers = [];
if (alertmanagerBin) {
  const peers = scaleOut ? [await freePort(0), await freePort(0)] : [];
  for (const [i, listen] of (scaleOut ? [ports.alertmanager, await freePort(0)] : [ports.alertmanager]).entries()) {
    const name = scaleOut ? `alertmanager-${i}` : 'alertmanager';
    start(name, alertmanagerBin, [
      `--config.file=${join(work, 'alerts', 'alertmanager.yaml')}`,
      `--storage.path=${join(work, `${name}-data`)}`,
      `--web.listen-address=127.0.0.1:${listen}`,
      ...(scaleOut
        ? [`--cluster.listen-address=127.0.0.1:${peers[i]}`, `--cluster.peer=127.0.0.1:${peers[1 - i]}`]
        : ['--cluster.listen-address=']),
    ]);
    alertmanagers.push(`127.0.0.1:${listen}`);
  }
}
const prometheusBin = binary(['prometheus'], 'apt-get install prometheus');
const prometheus = `http://127.0.0.1:${ports.prometheus}`;
if (prometheusBin) {
  // The intervals of the repository's detection profile: the alerts' windows and for: durations assume them.
  const { detection } = loadConfig(join(ROOT, 'mcp-observatory.yaml'));
  const config = {
    global: { scrape_interval: detection.scrapeInterval, evaluation_interval: detection.evaluationInterval },
    rule_files: [join(work, 'alerts', 'mcp-observatory.rules.yaml')],
    ...(alertmanagers.length > 0 && {
      alerting: { alertmanagers: [{ static_configs: [{ targets: alertmanagers }] }] },
    }),
    // In the scale-out profile, what to scrape is the Prometheus agent's business.
    scrape_configs: scaleOut
      ? []
      : [{ job_name: 'mcp-server', static_configs: [{ targets: [`127.0.0.1:${ports.mcp}`] }] }],
  };
  writeFileSync(join(work, 'prometheus.yml'), JSON.stringify(config, null, 2));
  start('prometheus', prometheusBin, [
    `--config.file=${join(work, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(work, 'prometheus-data')}`,
    `--web.listen-address=127.0.0.1:${ports.prometheus}`,
    '--enable-feature=exemplar-storage',
    ...(scaleOut ? ['--web.enable-remote-write-receiver'] : []),
  ]);
  await waitUntil('Prometheus', () => ok(`${prometheus}/-/ready`));
  if (scaleOut) {
    // The node's Prometheus agent: the generated scrape jobs of what runs here, written to the Prometheus above.
    const generated = parse(readFileSync(join(work, SCALE_OUT_PATHS.prometheusAgent), 'utf8'));
    const targets = {
      'mcp-server': [`127.0.0.1:${ports.mcp}`],
      'otel-collector': agent ? [agent.selfMetrics] : [],
      'otel-collector-spanmetrics': agent ? [agent.spanMetrics] : [],
    };
    const agentConfig = {
      global: { scrape_interval: detection.scrapeInterval },
      scrape_configs: generated.scrape_configs
        .filter((job) => targets[job.job_name]?.length)
        .map((job) => ({ ...job, static_configs: [{ targets: targets[job.job_name] }] })),
      remote_write: [{ ...generated.remote_write[0], url: `${prometheus}/api/v1/write` }],
    };
    writeFileSync(join(work, 'prometheus-agent.yml'), JSON.stringify(agentConfig, null, 2));
    start('prometheus-agent', prometheusBin, [
      `--config.file=${join(work, 'prometheus-agent.yml')}`,
      '--enable-feature=agent',
      `--storage.agent.path=${join(work, 'prometheus-agent-wal')}`,
      `--web.listen-address=127.0.0.1:${await freePort(0)}`,
    ]);
  }
  start('dashboards', process.execPath, [
    'dist/lib/bin.js',
    'snapshot',
    '--serve',
    `127.0.0.1:${ports.dashboards}`,
    '--prometheus',
    prometheus,
    '--range',
    '15m',
  ]);
  // Say where the dashboards are only once they answer: a busy machine can take seconds to start the command.
  await waitUntil('the dashboards', () => ok(`http://127.0.0.1:${ports.dashboards}/`));
}

// 5. Load, with a fault drill a third of the way in.
const drillAt = Math.max(10, Math.round(duration / 3));
start(
  'load',
  process.execPath,
  [
    'dist/lib/bin.js',
    'load',
    `${mcp}/mcp`,
    '--duration',
    `${duration}s`,
    '--rate',
    '10',
    '--quiet',
    '--fault',
    `at ${drillAt}s: error=0.3 tool=search tenant=acme for ${Math.max(10, Math.round(duration / 3))}s`,
  ],
  // In the environment, not on the command line where other users see it.
  { MCP_ADMIN_TOKEN: adminToken },
);

console.log(`
demo: running for ${values.duration} (Ctrl-C stops it)
  MCP server     ${mcp}/mcp   metrics ${mcp}/metrics   health ${mcp}/health/ready
  Prometheus     ${prometheusBin ? `${prometheus}  (alerts: ${prometheus}/alerts)` : 'not running'}
  Dashboards     ${prometheusBin ? `http://127.0.0.1:${ports.dashboards}/  (drawn live from Prometheus)` : 'not running'}
  Alertmanager   ${alertmanagers.length ? alertmanagers.map((peer) => `http://${peer}`).join(', ') : 'not running'}
  Collector      ${!otlp ? 'not running' : scaleOut ? `agent ${otlp} → gateways writing to ${join(work, 'gateway-{0,1}')}` : `${otlp} (spans and logs written to ${join(work, 'otelcol-out')})`}${
    scaleOut
      ? `
  Profile        scale-out: a Prometheus agent remote-writes to the Prometheus above; ${alertmanagers.length} Alertmanager peers`
      : ''
  }
  Fault drill    at ${drillAt}s: 30% errors on tool search for tenant acme
  Report         node dist/lib/bin.js report --prometheus ${prometheus}
`);

// 6. A live summary every 10 seconds, from Prometheus (or the server's own /metrics without it).
const started = Date.now();
const summary = setInterval(async () => {
  const elapsed = Math.round((Date.now() - started) / 1000);
  if (!prometheusBin) return console.log(`demo: ${elapsed}s`);
  const value = async (expr) => Number((await query(prometheus, expr).catch(() => []))[0]?.value?.[1] ?? NaN);
  const rate = await value('sum(rate(mcp_server_operation_duration_seconds_count[30s]))');
  const errors = await value(
    '(sum(rate(mcp_server_operation_duration_seconds_count{error_type!="", error_type!~"-32700|-32600|-32601|-32602|-32002"}[30s])) or vector(0)) / sum(rate(mcp_server_operation_duration_seconds_count[30s]))',
  );
  const p95 = await value(
    'histogram_quantile(0.95, sum by (le) (rate(mcp_server_operation_duration_seconds_bucket[30s])))',
  );
  const alerts = (await query(prometheus, 'ALERTS{alertstate="firing"}').catch(() => [])).map(
    (a) => a.metric.alertname,
  );
  const fmt = (n, digits) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
  console.log(
    `demo: ${elapsed}s  ${fmt(rate, 1)} req/s  errors ${fmt(errors * 100, 1)}%  p95 ${fmt(p95 * 1000, 0)} ms  firing: ${alerts.length ? [...new Set(alerts)].join(', ') : 'none'}`,
  );
}, 10_000);

setTimeout(
  async () => {
    clearInterval(summary);
    if (prometheusBin) {
      const report = spawnSync(
        process.execPath,
        [
          'dist/lib/bin.js',
          'report',
          '--prometheus',
          prometheus,
          '--window',
          `${Math.max(1, Math.round(duration / 60))}m`,
        ],
        {
          cwd: ROOT,
          encoding: 'utf8',
        },
      );
      console.log(`\n${report.stdout}${report.stderr}`);
      if (values.screenshots) {
        const shots = spawnSync(
          process.execPath,
          [
            'dist/lib/bin.js',
            'snapshot',
            '--png',
            '--prometheus',
            prometheus,
            '--out',
            values.screenshots,
            '--range',
            `${duration}s`,
          ],
          { cwd: ROOT, encoding: 'utf8' },
        );
        console.log(`${shots.stdout}${shots.stderr}`);
      }
    }
    await stopAll(0);
  },
  (duration + 5) * 1000,
);
