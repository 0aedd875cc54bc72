// Where a server variant's CPU goes under the HTTP benchmark's load: the V8 sampling profiler (what --cpu-prof
// records) runs in the server child for the measured window only, then self time is summed per function and per
// module; with several variants, the modules' self time side by side and what the last adds to the first.
//   npm run build && node bench/profile.mjs plain all [--tool echo] [--seconds 10] [--top 25]
//   node bench/profile.mjs --file x.cpuprofile [--per N --unit render]   summarise a profile written elsewhere
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ask, serverEnv, start } from './child.mjs';
import { printSummary, summarise, summariseFile } from './cpuprofile.mjs';
import { load } from './load.mjs';
import { VARIANTS, calibrateWork } from './variants.mjs';

const argv = process.argv.slice(2);
const option = (name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
if (argv.includes('--file')) {
  // Summarise a profile written elsewhere, e.g. `node --cpu-prof bench/micro.mjs render`.
  printSummary(summariseFile(option('--file')), {
    per: Number(option('--per', 1)),
    unit: option('--unit', 'run'),
    top: Number(option('--top', 25)),
  });
  process.exit(0);
}
const ids = argv.filter((arg, i) => !arg.startsWith('--') && !argv[i - 1]?.startsWith('--'));
const variants = (ids.length ? ids : ['all']).map((id) => {
  const variant = VARIANTS.find((v) => v.id === id);
  if (!variant) throw new Error(`unknown variant ${id}; one of ${VARIANTS.map((v) => v.id).join(', ')}`);
  return variant;
});
const tool = option('--tool', 'echo');
const seconds = Number(option('--seconds', 10));
const top = Number(option('--top', 25));

/** Profile one variant under load; returns the summary and the requests served in the profiled window. */
async function profileOf(variant) {
  const dir = join(tmpdir(), 'mcp-observatory-bench');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${variant.id}-${tool}-${Date.now()}.cpuprofile`);
  const sink = await start('sink.mjs', {});
  const server = await start('server.mjs', serverEnv(variant, sink.port, iterations));
  const url = `http://127.0.0.1:${server.port}/mcp`;
  const connections = 8;
  await load({ url, tool, seconds: 5, connections, tenants: variant.tenants });
  await ask(server.child, { type: 'profile-start' }, 'profiling');
  const result = await load({ url, tool, seconds, connections, tenants: variant.tenants });
  await ask(server.child, { type: 'profile-stop', path }, 'profiled');
  server.child.send({ type: 'stop' });
  sink.child.send({ type: 'stop' });
  return { variant, path, result, ...summarise(JSON.parse(readFileSync(path, 'utf8'))) };
}

const iterations = calibrateWork(1);
const profiles = [];
for (const variant of variants) profiles.push(await profileOf(variant));

const perRequest = (profile, key, kind) =>
  ((profile[kind].find((entry) => entry.key === key)?.ms ?? 0) * 1000) / profile.result.ok;
const row = (cells) => `| ${cells.join(' | ')} |`;
for (const p of profiles) {
  console.log(
    `${p.variant.label}, \`${tool}\`: ${p.result.ok} requests in ${seconds} s (${p.result.throughput.toFixed(0)} req/s), ` +
      `${((p.totalMs * 1000) / p.result.ok).toFixed(0)} µs sampled per request; profile: ${p.path}`,
  );
}
// Self time per request by module, one column per variant, and what the last adds to the first.
const first = profiles[0];
const last = profiles.at(-1);
const keys = [...new Set(profiles.flatMap((p) => p.modules.map((m) => m.key)))];
const table = keys
  .map((key) => ({ key, values: profiles.map((p) => perRequest(p, key, 'modules')) }))
  .sort(
    (a, b) =>
      Math.abs(b.values.at(-1) - b.values[0]) - Math.abs(a.values.at(-1) - a.values[0]) ||
      b.values.at(-1) - a.values.at(-1),
  );
console.log(
  `\n${row(['module (self µs per request)', ...profiles.map((p) => p.variant.id), ...(profiles.length > 1 ? ['difference'] : [])])}`,
);
console.log(row(Array(profiles.length + (profiles.length > 1 ? 2 : 1)).fill('---')));
for (const { key, values } of table.slice(0, top)) {
  const diff = values.at(-1) - values[0];
  console.log(
    row([
      key.replaceAll('|', '\\|'),
      ...values.map((v) => v.toFixed(1)),
      ...(profiles.length > 1 ? [`${diff >= 0 ? '+' : ''}${diff.toFixed(1)}`] : []),
    ]),
  );
}
console.log(
  `\n${row([`function (${last.variant.id}, self µs per request)`, 'µs/req', 'share'])}\n${row(['---', '---', '---'])}`,
);
for (const entry of last.functions.slice(0, top)) {
  console.log(
    row([
      entry.key.replaceAll('|', '\\|'),
      ((entry.ms * 1000) / last.result.ok).toFixed(1),
      `${((entry.ms / last.totalMs) * 100).toFixed(1)} %`,
    ]),
  );
}
void first;
process.exit(0);
