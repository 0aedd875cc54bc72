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

/** The same plain contents as `keyOf` compares, without building a key: for the common case, a factory's literal. */
function sameContents(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameContents(a[i], b[i])) return false;
    return true;
  }
  const prototype = Object.getPrototypeOf(a) as unknown;
  if ((prototype !== Object.prototype && prototype !== null) || Object.getPrototypeOf(b) !== prototype) return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  let keys = 0;
  for (const key in left) {
    if (!Object.prototype.hasOwnProperty.call(right, key) || !sameContents(left[key], right[key])) return false;
    keys++;
  }
  for (const _key in right) if (--keys < 0) return false;
  return keys === 0;
}

/** A copy of the plain parts of `value` (the rest by identity), so that later changes to the app's object do not count. */
function snapshot(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snapshot);
  if (typeof value !== 'object' || value === null) return value;
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return value;
  const copy = Object.create(prototype as object | null) as Record<string, unknown>;
  for (const key of Object.keys(value)) copy[key] = snapshot((value as Record<string, unknown>)[key]);
  return copy;
}

/**
 * The options last looked up and their recorder. A server built per request asks with equal options every time:
 * comparing them with the last ones costs well under a microsecond, building their key about four (bench/factory.mjs).
 */
let last: { options: unknown; recorder: Recorder } | undefined;

/** The recorder of `options`, built on first use. */
export function recorderFor(options: InstrumentOptions): Recorder {
  if (last && sameContents(options, last.options)) return last.recorder;
  const recorder = lookUp(options);
  last = { options: snapshot(options), recorder };
  return recorder;
}

function lookUp(options: InstrumentOptions): Recorder {
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
