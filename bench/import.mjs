// What importing the package costs a server at start-up: the package root and the zero-code entry against what any
// instrumentation needs anyway (prom-client and @opentelemetry/api), each imported in a fresh Node process, the
// processes alternating so the machine's drift touches every entry alike. Also: which modules of the generator (and
// its dependencies) an import loads — there should be none.
//   node bench/import.mjs [--runs N] [--node PATH]    (`npm run build` first)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The entries measured: the baseline first. */
export const ENTRIES = [
  { id: 'baseline', label: 'prom-client + @opentelemetry/api', specifiers: ['prom-client', '@opentelemetry/api'] },
  {
    id: 'root',
    label: '`mcp-observatory` (instrument, metrics, health, telemetry)',
    specifiers: ['./dist/lib/index.js'],
  },
  { id: 'instrumentation', label: '`mcp-observatory/instrumentation`', specifiers: ['./dist/lib/instrumentation.js'] },
];

/** Modules an import of the instrumentation must not load: the generator, the CLI and what only they use. */
const TOOLING =
  /\/dist\/lib\/(generate|config|validate|load|report|snapshot|capacity|cli)|grafana-foundation-sdk|\/ajv\/|\/yaml\/|\/uplot\//;

/** One fresh process importing `specifiers`: milliseconds, and every module URL it resolved. */
function importOnce(node, entry, hooks, record) {
  writeFileSync(record, '');
  const script =
    `const t = process.hrtime.bigint();` +
    entry.specifiers
      .map((s) => `await import(${JSON.stringify(s.startsWith('.') ? pathToFileURL(join(root, s)).href : s)});`)
      .join('') +
    `process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
  const out = execFileSync(node, ['--import', hooks, '--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, IMPORT_RECORD: record },
    encoding: 'utf8',
  });
  const modules = readFileSync(record, 'utf8').split('\n').filter(Boolean);
  return { ms: Number(out), modules };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** Median import time of each entry over `runs` alternating rounds, its ratio to the baseline, and what it loaded. */
export function importCost({ node = process.execPath, runs = 15 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-observatory-import-'));
  try {
    // Records every module URL the process resolves, ESM and CommonJS (Node 20.6+ module hooks run for both).
    const hooksFile = join(dir, 'hooks.mjs');
    writeFileSync(
      hooksFile,
      `import { appendFileSync } from 'node:fs';\n` +
        `export async function resolve(specifier, context, next) {\n` +
        `  const result = await next(specifier, context);\n` +
        `  appendFileSync(process.env.IMPORT_RECORD, result.url + '\\n');\n` +
        `  return result;\n}\n`,
    );
    const register = join(dir, 'register.mjs');
    writeFileSync(
      register,
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooksFile).href)});\n`,
    );
    const record = join(dir, 'modules.txt');
    const times = Object.fromEntries(ENTRIES.map((entry) => [entry.id, []]));
    const loaded = {};
    importOnce(node, ENTRIES[0], register, record); // a first process warms the file system cache for all
    for (let run = 0; run < runs; run++) {
      for (const entry of run % 2 ? [...ENTRIES].reverse() : ENTRIES) {
        const { ms, modules } = importOnce(node, entry, register, record);
        times[entry.id].push(ms);
        loaded[entry.id] = modules;
      }
    }
    const base = median(times.baseline);
    return ENTRIES.map((entry) => {
      const modules = [...new Set(loaded[entry.id])];
      return {
        id: entry.id,
        label: entry.label,
        ms: median(times[entry.id]),
        ratio: median(times[entry.id]) / base,
        modules: modules.length,
        tooling: modules.filter((url) => TOOLING.test(url)).map((url) => url.replace(pathToFileURL(root).href, '')),
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const option = (name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
  const rows = importCost({ node: option('--node', process.execPath), runs: Number(option('--runs', 15)) });
  for (const row of rows) {
    console.log(
      `${row.label.padEnd(60)} ${row.ms.toFixed(1).padStart(7)} ms  ${row.ratio.toFixed(2)}x  ${String(row.modules).padStart(4)} modules` +
        (row.tooling.length ? `  TOOLING LOADED: ${row.tooling.slice(0, 5).join(', ')}` : ''),
    );
  }
}
