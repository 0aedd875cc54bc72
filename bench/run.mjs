// The benchmark: mcp-observatory's overhead against the plain SDK server and against peer instrumentations, in one
// run. `npm run bench` (about 20 minutes) or `npm run bench -- --quick` (about two minutes); run
// `npm run build` first. Writes bench/results/<date>.json and, for a full run, the results section of BENCHMARKS.md.
//
//   1. In-process micro-benchmarks (bench/micro.mjs), each mode in a fresh process, on this Node and the cached Node 24.
//   2. HTTP: every server variant (bench/variants.mjs) in its own process on 127.0.0.1, an OTLP sink in another, and
//      the load from this one; variants alternate within each round, so drift hits them all alike.
//
// Options: --quick, --only http|micro, --rounds N, --seconds S, --connections N, --variants id,id, --no-doc.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, homedir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { ask, serverEnv, start } from './child.mjs';
import { importCost } from './import.mjs';
import { load } from './load.mjs';
import { noiseFloor, ratioStats, renderReport, updateDoc } from './report.mjs';
import { TOOLS, VARIANTS, calibrateWork } from './variants.mjs';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const argv = process.argv.slice(2);
const option = (name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
const quick = argv.includes('--quick');
const only = option('--only', 'all');
// A full run resolves differences of a few percent: seven bracketed rounds of 2.5 s windows, whose medians and
// interquartile ranges the report gives, and whose noise floor the peers that record nothing state. With the variants
// it has, a round is about 42 windows of 3 s (preload included): some 15 minutes of HTTP load, 19 or so in all.
const plan = {
  rounds: Number(option('--rounds', quick ? 3 : 7)),
  seconds: Number(option('--seconds', quick ? 1 : 2.5)),
  // A server process needs a few seconds of load before V8 has optimised its hot path; after sitting idle while the
  // others ran, it needs a moment again (idle-time GC and bytecode flushing), hence a preload before every window.
  warmupSeconds: 2,
  preloadSeconds: 0.5,
  connections: Number(option('--connections', 8)),
  // A server that sat idle while the others were loaded would lose its compiled code and shrink its heap (V8's
  // bytecode flushing and memory reducer), and pay for both again in its next window; a loaded server does not.
  // Every server process, baselines included, keeps them, so that no variant is measured colder than another.
  serverFlags: ['--no-flush-bytecode', '--no-memory-reducer'],
  tools: quick ? ['echo'] : TOOLS,
  // A window during which other processes kept more than this many cores busy is measured again, once, within a
  // budget of retries that bounds the run's length.
  maxForeignCores: 0.3,
  retryBudget: quick ? 0 : 12,
};
const selected = option('--variants', undefined)?.split(',');
// --quick keeps the configurations users run (ours and the peers); diagnostics need the full run.
const variants = VARIANTS.filter((v) =>
  selected
    ? selected.includes(v.id) || VARIANTS.some((w) => selected.includes(w.id) && (w.baseline ?? 'plain') === v.id)
    : !(quick && v.diagnostic),
);
const toolsOf = (variant) => plan.tools.filter((tool) => !variant.tools || variant.tools.includes(tool));
const node24 = join(homedir(), '.cache/mcp-observatory/node24/node_modules/.bin/node');
const log = (...parts) => console.error('bench:', ...parts);

const median = (values) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function micro(nodeBinary) {
  const mode = async (args) => {
    const { stdout } = await run(
      nodeBinary,
      ['--expose-gc', join(here, 'micro.mjs'), ...args, ...(quick ? ['--quick'] : [])],
      {
        cwd: root,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    return JSON.parse(stdout.trim().split('\n').at(-1));
  };
  log(`micro (node ${nodeBinary === process.execPath ? process.versions.node : '24'}): CPU per request`);
  const cpuOff = await mode(['cpu', '--otel', 'off']);
  const cpuOn = await mode(['cpu', '--otel', 'on']);
  log('micro: /metrics render at the guard maximum');
  const render = await mode(['render']);
  let memory;
  if (nodeBinary === process.execPath) {
    log(`micro: memory over ${quick ? '100,000' : '1,000,000'} requests`);
    memory = await mode(['memory']);
  }
  return { node: cpuOff.node, cpuOff, cpuOn, render, memory };
}

/** Busy CPU time of the whole machine so far (all cores, µs), from /proc/stat. */
function machineCpu() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user)
  const busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7];
  return { busyMicros: (busy * 1e6) / CLOCK_TICKS, at: performance.now() };
}
const CLOCK_TICKS = 100;

/** Make sure the peers' own install (bench/peers/) is there; a failure is reported, not fatal. */
async function installPeers() {
  const peers = join(here, 'peers');
  if (existsSync(join(peers, 'node_modules'))) return undefined;
  log('installing peer instrumentations into bench/peers (npm ci)');
  try {
    await run('npm', ['ci', '--no-audit', '--no-fund', '--prefix', peers], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    return undefined;
  } catch (error) {
    return `npm ci in bench/peers failed: ${error.stderr || error.message}`;
  }
}

function peerVersion(name) {
  try {
    return JSON.parse(readFileSync(join(here, 'peers/node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

async function http() {
  const peerFailure = await installPeers();
  const workIterations = calibrateWork(1);
  log(`http: work tool calibrated to ${workIterations} iterations for ~1 ms`);
  const sink = await start('sink.mjs', {});
  const servers = {};
  const failures = {};
  for (const variant of variants) {
    if (variant.peer && peerFailure) {
      failures[variant.id] = peerFailure;
      continue;
    }
    if (variant.runtime === 'node24' && !existsSync(node24)) {
      failures[variant.id] = `no Node 24 at ${node24}; \`npm run setup\` caches it`;
      continue;
    }
    try {
      const execPath = variant.runtime === 'node24' ? node24 : process.execPath;
      servers[variant.id] = await start(
        'server.mjs',
        serverEnv(variant, sink.port, workIterations),
        execPath,
        process.env.BENCH_SERVER_FLAGS ? process.env.BENCH_SERVER_FLAGS.split(' ') : plan.serverFlags,
      );
    } catch (error) {
      failures[variant.id] = error.message;
      log(`http: ${variant.id} did not start: ${error.message}`);
    }
  }
  const running = variants.filter((v) => servers[v.id]);
  const samples = {};
  const once = async (variant, tool, seconds) => {
    const { child, port } = servers[variant.id];
    const url = `http://127.0.0.1:${port}/mcp`;
    const [before, sinkBefore, machineBefore, selfBefore] = [
      await ask(child, { type: 'stats' }, 'stats'),
      await ask(sink.child, { type: 'stats' }, 'stats'),
      machineCpu(),
      process.cpuUsage(),
    ];
    const result = await load({ url, tool, seconds, connections: plan.connections, tenants: variant.tenants });
    const [after, sinkAfter, machineAfter, self] = [
      await ask(child, { type: 'stats' }, 'stats'),
      await ask(sink.child, { type: 'stats' }, 'stats'),
      machineCpu(),
      process.cpuUsage(selfBefore),
    ];
    const served = after.served - before.served;
    const serverCpu = after.cpuMicros - before.cpuMicros;
    const ours = serverCpu + (sinkAfter.cpuMicros - sinkBefore.cpuMicros) + self.user + self.system;
    const wall = (machineAfter.at - machineBefore.at) * 1000;
    return {
      ...result,
      served,
      cpuPerRequest: serverCpu / served,
      rss: after.rss,
      // CPU that processes outside the benchmark used meanwhile, in cores: other work on the machine skews a round.
      foreignCores: Math.max(0, machineAfter.busyMicros - machineBefore.busyMicros - ours) / wall,
    };
  };
  const preload = async (variant, tool) => {
    const { port } = servers[variant.id];
    await load({
      url: `http://127.0.0.1:${port}/mcp`,
      tool,
      seconds: plan.preloadSeconds,
      connections: plan.connections,
      tenants: variant.tenants,
    });
  };
  let retries = 0;
  // One measured window, measured again if other processes were busy meanwhile (within the retry budget).
  const measure = async (variant, tool) => {
    await preload(variant, tool);
    let sample = await once(variant, tool, plan.seconds);
    if (sample.foreignCores > plan.maxForeignCores && retries < plan.retryBudget) {
      retries++;
      log(`http: ${variant.id} ${tool}: other processes used ${sample.foreignCores.toFixed(2)} cores; again`);
      const again = await once(variant, tool, plan.seconds);
      if (again.foreignCores < sample.foreignCores) sample = { ...again, retried: true };
    }
    if (sample.bad || sample.errors || sample.non2xx || sample.timeouts) {
      log(`http: ${variant.id} ${tool}: ${sample.bad} bad, ${sample.errors} errors, ${sample.non2xx} non-2xx`);
    }
    return sample;
  };
  const byId = Object.fromEntries(running.map((v) => [v.id, v]));
  for (const tool of plan.tools) {
    const loaded = running.filter((variant) => toolsOf(variant).includes(tool));
    log(`http: ${tool}: warm-up`);
    for (const variant of loaded) await once(variant, tool, plan.warmupSeconds);
    // The machine's speed drifts by tens of percent over minutes (other tenants of the host), so every window of a
    // variant is bracketed by windows of its baseline, and its ratios are taken against the mean of those two.
    const measured = loaded.filter((v) => (v.baseline ?? 'plain') !== v.id && byId[v.baseline ?? 'plain']);
    for (let round = 0; round < plan.rounds; round++) {
      // Each round starts at another variant, so no variant always follows the same neighbour.
      const order = measured.map((_, i) => measured[(i + round) % measured.length]);
      log(`http: ${tool}: round ${round + 1}/${plan.rounds}`);
      let last;
      for (const variant of order) {
        const baseline = byId[variant.baseline ?? 'plain'];
        const before = last?.id === baseline.id ? last.sample : await measure(baseline, tool);
        if (before !== last?.sample) ((samples[baseline.id] ??= {})[tool] ??= []).push(before);
        const sample = await measure(variant, tool);
        const after = await measure(baseline, tool);
        ((samples[baseline.id] ??= {})[tool] ??= []).push(after);
        ((samples[variant.id] ??= {})[tool] ??= []).push({ ...sample, baseline: [before, after] });
        last = { id: baseline.id, sample: after };
      }
    }
  }
  const telemetry = {};
  for (const variant of running) {
    const { child } = servers[variant.id];
    const flushed = await ask(child, { type: 'flush' }, 'flushed', 60_000);
    const { served } = await ask(child, { type: 'stats' }, 'stats');
    telemetry[variant.id] = { served, dropped: flushed.dropped, patched: flushed.patched };
  }
  // Exports are asynchronous: give the last batches a moment to land before counting.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const { counts } = await ask(sink.child, { type: 'counts' }, 'counts');
  for (const { child } of Object.values(servers)) child.send({ type: 'stop' });
  sink.child.send({ type: 'stop' });

  const results = [];
  for (const variant of variants) {
    const baseline = variant.baseline ?? 'plain';
    const entry = {
      id: variant.id,
      label: variant.label,
      peer: variant.peer,
      runtime: variant.runtime ?? 'node20',
      baseline,
      diagnostic: variant.diagnostic ?? false,
    };
    if (variant.peer) entry.peerVersion = peerVersion(variant.peer);
    if (failures[variant.id]) {
      results.push({ ...entry, failure: failures[variant.id] });
      continue;
    }
    if (!samples[variant.id]) {
      results.push({ ...entry, failure: `its baseline (${baseline}) did not run` });
      continue;
    }
    const received = counts[`bench-${variant.id}`] ?? { spans: 0, serverSpans: 0, logRecords: 0 };
    const { served, patched } = telemetry[variant.id];
    // Sentry reports what it discarded in client reports to the sink, not in metrics of ours.
    const dropped =
      variant.peer === '@sentry/node' ? counts['sentry-client-reports']?.discarded : telemetry[variant.id].dropped;
    entry.telemetry = {
      served,
      spansPerRequest: received.spans / served,
      serverSpansPerRequest: received.serverSpans / served,
      logRecordsPerRequest: received.logRecords / served,
      otlpBytesPerRequest: (received.bytes ?? 0) / served,
      // Sentry's spans by op, per request (its SERVER span is the mcp.server transaction).
      ...(received.ops && {
        spanOpsPerRequest: Object.fromEntries(Object.entries(received.ops).map(([op, n]) => [op, n / served])),
      }),
      dropped,
      patched,
    };
    entry.tools = {};
    for (const tool of toolsOf(variant)) {
      const rounds = samples[variant.id][tool];
      // Against the mean of the two baseline windows around each window; a baseline is 1 by definition.
      const around = (r, key) => (r.baseline ? (r.baseline[0][key] + r.baseline[1][key]) / 2 : r[key]);
      const ratios = {
        throughput: ratioStats(rounds, 'throughput'),
        cpu: ratioStats(rounds, 'cpuPerRequest'),
        p50: ratioStats(rounds, 'p50'),
        p99: ratioStats(rounds, 'p99'),
      };
      entry.tools[tool] = {
        rounds,
        throughput: median(rounds.map((r) => r.throughput)),
        p50: median(rounds.map((r) => r.p50)),
        p99: median(rounds.map((r) => r.p99)),
        cpuPerRequest: median(rounds.map((r) => r.cpuPerRequest)),
        addedCpuPerRequest: median(rounds.map((r) => r.cpuPerRequest - around(r, 'cpuPerRequest'))),
        foreignCores: median(rounds.map((r) => r.foreignCores)),
        throughputRatio: ratios.throughput.median,
        cpuRatio: ratios.cpu.median,
        p50Ratio: ratios.p50.median,
        p99Ratio: ratios.p99.median,
        // Each ratio's median, interquartile range and extremes over rounds.
        ratios,
        rss: Math.max(...rounds.map((r) => r.rss)),
        bad: rounds.reduce((sum, r) => sum + r.bad + r.errors + r.non2xx + r.timeouts, 0),
        firstBad: rounds.find((r) => r.firstBad)?.firstBad,
      };
    }
    results.push(entry);
  }
  const http = { plan, workIterations, retries, variants: results };
  return { ...http, noiseFloor: noiseFloor(http) ?? null };
}

async function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = cpuinfo.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? cpus()[0]?.model;
  const mhz = cpuinfo.match(/^cpu MHz\s*:\s*(.*)$/m)?.[1];
  let node24Version;
  if (existsSync(node24)) node24Version = (await run(node24, ['--version'])).stdout.trim().replace(/^v/, '');
  const version = (name) => JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
  const os = readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?(.*?)"?$/m)?.[1];
  // Read-only git: which library code was measured, and whether lib/ had uncommitted changes.
  const git = async (...args) => (await run('git', args, { cwd: root }).catch(() => ({ stdout: '' }))).stdout.trim();
  return {
    commit: await git('rev-parse', '--short', 'HEAD'),
    libChanged: (await git('status', '--porcelain', '--', 'lib')).split('\n').filter(Boolean).length,
    cpu: model,
    mhz: mhz && Number(mhz),
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os,
    kernel: (await run('uname', ['-r'])).stdout.trim(),
    node: process.versions.node,
    node24: node24Version,
    packages: {
      'mcp-observatory': JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version,
      '@modelcontextprotocol/sdk': version('@modelcontextprotocol/sdk'),
      '@opentelemetry/sdk-node': version('@opentelemetry/sdk-node'),
      'prom-client': version('prom-client'),
      autocannon: version('autocannon'),
      '@traceloop/instrumentation-mcp': peerVersion('@traceloop/instrumentation-mcp'),
      '@arizeai/openinference-instrumentation-mcp': peerVersion('@arizeai/openinference-instrumentation-mcp'),
      '@shinzolabs/instrumentation-mcp': peerVersion('@shinzolabs/instrumentation-mcp'),
      '@sentry/node': peerVersion('@sentry/node'),
    },
  };
}

if (!existsSync(join(root, 'dist/lib/index.js'))) {
  console.error('bench: dist/lib/index.js is missing; run `npm run build` first');
  process.exit(1);
}
const started = Date.now();
const results = {
  date: new Date().toISOString(),
  command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
  quick,
  machine: await machine(),
};
if (only === 'all' || only === 'micro') {
  results.micro = { node20: await micro(process.execPath) };
  if (existsSync(node24) && !quick) results.micro.node24 = await micro(node24);
  log('import: the package entries against prom-client + @opentelemetry/api, in fresh processes');
  results.import = { node20: importCost({ runs: quick ? 5 : 21 }) };
  if (existsSync(node24) && !quick) results.import.node24 = importCost({ node: node24, runs: 21 });
}
if (only === 'all' || only === 'http') results.http = await http();
results.seconds = Math.round((Date.now() - started) / 1000);

const dir = join(here, 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `${results.date.slice(0, 10)}${quick ? '-quick' : ''}.json`);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
const report = renderReport(results);
console.log(report);
log(`results in ${file} (${results.seconds} s)`);
if (!quick && only === 'all' && !argv.includes('--no-doc')) {
  await updateDoc(join(root, 'BENCHMARKS.md'), report);
  log('BENCHMARKS.md updated');
}
const bad = (results.http?.variants ?? []).flatMap((v) => Object.values(v.tools ?? {})).some((t) => t.bad > 0);
if (bad) {
  console.error('bench: some responses were not a 200 with the tool result; see "bad" in the results');
  process.exitCode = 1;
}
