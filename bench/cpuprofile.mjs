// Self time of a V8 CPU profile (.cpuprofile, as --cpu-prof or the inspector writes it), per function and per module.
import { readFileSync } from 'node:fs';

/** Where a script lives, coarsely: a package, Node's internals, mcp-observatory, or the benchmark. */
export function moduleOf(url) {
  if (!url) return '(native/V8)';
  if (url.startsWith('node:')) {
    // node:internal/streams/readable → node:streams/readable
    return url
      .replace(/^node:internal\//, 'node:')
      .split('/')
      .slice(0, 2)
      .join('/');
  }
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.includes('/dist/lib/')) return `mcp-observatory ${url.slice(url.indexOf('/dist/lib/') + 10)}`;
  if (url.includes('/bench/')) return `bench ${url.slice(url.indexOf('/bench/') + 7)}`;
  return url;
}

/** Self time per function and per module, in ms, from a .cpuprofile. */
export function summarise(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const functions = new Map();
  const modules = new Map();
  let total = 0;
  for (const [id, micros] of self) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const name = functionName || '(anonymous)';
    const where = url ? `${moduleOf(url)} ${url.split('/').at(-1)}:${lineNumber + 1}` : '';
    const key = `${name} ${where}`.trim();
    functions.set(key, (functions.get(key) ?? 0) + micros);
    const module = ['(garbage collector)', '(idle)', '(program)'].includes(name) ? name : moduleOf(url);
    modules.set(module, (modules.get(module) ?? 0) + micros);
    total += micros;
  }
  const sorted = (map) => [...map].sort((a, b) => b[1] - a[1]).map(([key, micros]) => ({ key, ms: micros / 1000 }));
  return { totalMs: total / 1000, functions: sorted(functions), modules: sorted(modules) };
}

/** Print the top of a profile as Markdown tables; `per` divides self time into µs per unit (e.g. per request). */
export function printSummary(summary, { per = 1, unit = 'run', top = 25 } = {}) {
  const row = (cells) => `| ${cells.join(' | ')} |`;
  const line = (entry) =>
    row([
      entry.key.replaceAll('|', '\\|'),
      entry.ms.toFixed(1),
      `${((entry.ms / summary.totalMs) * 100).toFixed(1)} %`,
      ((entry.ms * 1000) / per).toFixed(1),
    ]);
  console.log(`${row(['module', 'self ms', 'share', `µs/${unit}`])}\n${row(['---', '---', '---', '---'])}`);
  for (const entry of summary.modules.slice(0, 15)) console.log(line(entry));
  console.log(`\n${row(['function', 'self ms', 'share', `µs/${unit}`])}\n${row(['---', '---', '---', '---'])}`);
  for (const entry of summary.functions.slice(0, top)) console.log(line(entry));
}

/** Summarise a .cpuprofile file. */
export const summariseFile = (path) => summarise(JSON.parse(readFileSync(path, 'utf8')));
