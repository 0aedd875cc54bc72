/**
 * One recorder per configuration. Servers are often instrumented per request — stateless HTTP and v2's
 * `createMcpHandler` build a server per request — with an options literal written inside the factory: a new object
 * each time, with the same contents. A recorder (metric families, log sink, tenant resolver, resolved options) costs
 * far more to build than to look up, so it is found by the options object's identity, and else by its contents:
 * plain values compared by value, functions, streams and registries by identity.
 */
import { Recorder } from './recorder.js';
import type { InstrumentOptions } from './types.js';

const byIdentity = new WeakMap<InstrumentOptions, Recorder>();
const byContents = new Map<string, Recorder>();
/** Distinct configurations kept by contents; an app with more (say, a new closure per request) rebuilds the oldest. */
const MAX_CONFIGURATIONS = 64;
const objectIds = new WeakMap<object, number>();
let nextObjectId = 0;

function keyOf(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value !== 'function') return `${typeof value}:${String(value)}`;
  } else if (Array.isArray(value)) {
    return `[${value.map(keyOf).join(',')}]`;
  } else {
    const prototype = Object.getPrototypeOf(value) as unknown;
    if (prototype === Object.prototype || prototype === null) {
      const record = value as Record<string, unknown>;
      return `{${Object.keys(record)
        .sort()
        .map((key) => `${JSON.stringify(key)}:${keyOf(record[key])}`)
        .join(',')}}`;
    }
  }
  let id = objectIds.get(value);
  if (id === undefined) objectIds.set(value, (id = ++nextObjectId));
  return `#${id}`;
}

/** The recorder of `options`, built on first use. */
export function recorderFor(options: InstrumentOptions): Recorder {
  let recorder = byIdentity.get(options);
  if (recorder) return recorder;
  const key = keyOf(options);
  recorder = byContents.get(key);
  if (!recorder) {
    recorder = new Recorder(options);
    if (byContents.size >= MAX_CONFIGURATIONS) byContents.delete(byContents.keys().next().value!);
    byContents.set(key, recorder);
  }
  byIdentity.set(options, recorder);
  return recorder;
}
