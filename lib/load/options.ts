/**
 * The options of `mcp-observatory load`, and the parser of its command line. Every error names the bad value and says
 * how to write it; nothing is sent to any server before the whole command line is valid.
 */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { parseDuration } from './duration.js';
import { LoadUsageError } from './errors.js';
import { parseFault } from './faults.js';
import type { FaultStep } from './faults.js';

/** A tenant of the load: the bearer token it sends (none for servers without auth) and the name shown for it. */
export interface TenantSpec {
  name: string;
  token?: string | undefined;
}

/** One tool of the mix and its share of the calls. */
export interface ToolWeight {
  name: string;
  weight: number;
}

/** A load run, as `parseLoadArgs` reads it from the command line. */
export interface LoadOptions {
  /** The MCP endpoint (Streamable HTTP). */
  url: URL;
  /** MCP sessions opened, shared out over the tenants (each tenant gets at least one). */
  sessions: number;
  /** Closed loop: requests in flight at once, each sent as soon as the previous one of its worker answered. */
  concurrency: number;
  /** Open loop: requests started per second, whatever the answers; undefined means closed loop. @default 20 */
  rate?: number | undefined;
  /** Open loop: the most requests in flight; arrivals beyond it are counted as skipped, never queued. */
  maxInFlight: number;
  /** Stop after this long (milliseconds). */
  durationMs?: number | undefined;
  /** Stop after this many requests. */
  requests?: number | undefined;
  /** Tenants in popularity order: the first gets the most traffic. */
  tenants: TenantSpec[];
  /** Exponent of the Zipf distribution of traffic over tenants; 0 spreads it evenly. */
  zipf: number;
  /** The tool mix; empty means every tool the server lists, evenly. */
  tools: ToolWeight[];
  /** Fixed arguments per tool; other tools get arguments generated from their input schema. */
  arguments: Map<string, Record<string, unknown>>;
  /** Faults to apply through the reference server's admin endpoint, in start order. */
  faults: FaultStep[];
  adminUrl: URL;
  adminToken: string;
  /** Timeout of each request and of each session set-up (milliseconds). */
  timeoutMs: number;
  /** Seed of the random choices (tenants, tools, arguments), so a run can be repeated. */
  seed: number;
  /** Print the summary as JSON instead of a table. */
  json: boolean;
  /** No progress output. */
  quiet: boolean;
}

/**
 * The reference server's demo tenants (examples/reference/tenants.mjs), most popular first: the default tenant set,
 * so `mcp-observatory load` drives `npm start` with no options.
 */
export const DEMO_TENANTS: readonly TenantSpec[] = ['acme', 'globex', 'initech', 'umbrella', 'hooli'].map((name) => ({
  name,
  token: `demo-token-${name}`,
}));

/** The reference server's endpoint, the default of `load`. */
export const DEFAULT_URL = 'http://127.0.0.1:3000/mcp';

const DEFAULT_DURATION_MS = 30_000;
const DEFAULT_RATE = 20;
/** Runs are bounded: at most a day, at most ten million requests. */
const MAX_DURATION_MS = 86_400_000;
const MAX_REQUESTS = 10_000_000;

function positiveInteger(text: string, what: string, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new LoadUsageError(`${what}: "${text}" is not a whole number from 1 to ${max}`);
  }
  return value;
}

function positiveNumber(text: string, what: string, max: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new LoadUsageError(`${what}: "${text}" is not a number above 0 and at most ${max}`);
  }
  return value;
}

/** `search=60` (or several, comma-separated) into tool weights. */
export function parseToolMix(values: readonly string[]): ToolWeight[] {
  const tools: ToolWeight[] = [];
  for (const value of values) {
    for (const item of value.split(',')) {
      const entry = item.trim();
      const match = /^([^=\s]+)=(.*)$/.exec(entry);
      if (!match) {
        throw new LoadUsageError(
          `--tool ${entry}: give the tool's share of the calls, e.g. --tool ${entry || 'search'}=60`,
        );
      }
      const [, name, weightText] = match;
      const weight = Number(weightText);
      if (weightText!.trim() === '' || !Number.isFinite(weight) || weight <= 0) {
        throw new LoadUsageError(
          `--tool ${entry}: the share "${weightText}" is not a number above 0; e.g. --tool ${name}=60`,
        );
      }
      if (tools.some((tool) => tool.name === name)) {
        throw new LoadUsageError(`--tool ${name} is given twice; give each tool once, with its share`);
      }
      tools.push({ name: name!, weight });
    }
  }
  return tools;
}

/** `search={"query":"bias"}` into fixed arguments per tool; with an explicit mix, the tool must be in it. */
export function parseToolArguments(
  values: readonly string[],
  tools: readonly ToolWeight[],
): Map<string, Record<string, unknown>> {
  const byTool = new Map<string, Record<string, unknown>>();
  for (const value of values) {
    const match = /^([^=\s]+)=(.*)$/s.exec(value);
    if (!match) throw new LoadUsageError(`--args ${value}: write NAME=JSON, e.g. --args 'search={"query":"bias"}'`);
    const [, name, json] = match;
    let parsed: unknown;
    try {
      parsed = JSON.parse(json!);
    } catch (error) {
      throw new LoadUsageError(`--args ${value}: the arguments are not JSON (${(error as Error).message})`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new LoadUsageError(`--args ${value}: the arguments must be a JSON object, e.g. {"query":"bias"}`);
    }
    // Arguments for a tool outside an explicit mix would silently never be sent.
    if (tools.length > 0 && !tools.some((tool) => tool.name === name)) {
      throw new LoadUsageError(`--args ${name}=…: ${name} is not in the tool mix; add --tool ${name}=<share>`);
    }
    if (byTool.has(name!)) throw new LoadUsageError(`--args ${name}=… is given twice`);
    byTool.set(name!, parsed as Record<string, unknown>);
  }
  return byTool;
}

/** A short, recognisable name for a token given without one: never the whole secret. */
export function maskToken(token: string): string {
  return token.length <= 12 ? '…' + token.slice(-3) : `${token.slice(0, 4)}…${token.slice(-4)}`;
}

/** `acme=TOKEN` or `TOKEN` into a tenant. */
export function parseTenant(value: string): TenantSpec {
  const match = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(value);
  if (match) return { name: match[1]!, token: match[2]! };
  if (value.trim() === '' || /\s/.test(value)) {
    throw new LoadUsageError(`--tenant "${value}": give NAME=TOKEN or TOKEN, e.g. --tenant acme=demo-token-acme`);
  }
  return { name: maskToken(value), token: value };
}

function url(text: string, what: string): URL {
  try {
    const parsed = new URL(text);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return parsed;
  } catch {
    // reported below
  }
  throw new LoadUsageError(`${what}: "${text}" is not an http(s) URL, e.g. ${DEFAULT_URL}`);
}

/** The flags of `load`, which `compare` shares. */
export const LOAD_FLAGS = {
  url: { type: 'string' },
  sessions: { type: 'string' },
  concurrency: { type: 'string' },
  rate: { type: 'string' },
  'max-in-flight': { type: 'string' },
  duration: { type: 'string' },
  requests: { type: 'string' },
  tool: { type: 'string', multiple: true },
  args: { type: 'string', multiple: true },
  tenant: { type: 'string', multiple: true },
  'no-auth': { type: 'boolean' },
  zipf: { type: 'string' },
  fault: { type: 'string', multiple: true },
  'admin-url': { type: 'string' },
  'admin-token': { type: 'string' },
  timeout: { type: 'string' },
  seed: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** The values of LOAD_FLAGS as parseArgs reads them. */
export type LoadFlagValues = ReturnType<typeof parseArgs<{ options: typeof LOAD_FLAGS }>>['values'];

/** Parse the arguments of `mcp-observatory load` (after the command name). `env` supplies MCP_ADMIN_TOKEN. */
export function parseLoadArgs(args: string[], env: Record<string, string | undefined> = process.env): LoadOptions {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: LOAD_FLAGS });
  const given = [...positionals, ...(values.url === undefined ? [] : [values.url])];
  if (given.length > 1) throw new LoadUsageError(`load takes one MCP endpoint URL, got ${given.join(' ')}`);
  return loadOptionsFrom(values, url(given[0] ?? DEFAULT_URL, 'the MCP endpoint'), env);
}

/** The options of a load against `target` from the values of LOAD_FLAGS. */
export function loadOptionsFrom(
  values: LoadFlagValues,
  target: URL,
  env: Record<string, string | undefined> = process.env,
): LoadOptions {
  if (values['no-auth'] && values.tenant) {
    throw new LoadUsageError('--no-auth and --tenant contradict each other: tenants are bearer tokens');
  }
  const tenants = values['no-auth'] ? [{ name: 'anonymous' }] : (values.tenant?.map(parseTenant) ?? [...DEMO_TENANTS]);
  const names = new Set<string>();
  for (const tenant of tenants) {
    if (names.has(tenant.name)) throw new LoadUsageError(`--tenant ${tenant.name} is given twice`);
    names.add(tenant.name);
  }

  const sessions =
    values.sessions === undefined
      ? Math.max(10, tenants.length)
      : positiveInteger(values.sessions, '--sessions', 10_000);
  if (sessions < tenants.length) {
    throw new LoadUsageError(
      `--sessions ${sessions} is fewer than the ${tenants.length} tenants, and each tenant needs a session; ` +
        `use --sessions ${tenants.length} or more, or fewer --tenant`,
    );
  }
  if (values.rate !== undefined && values.concurrency !== undefined) {
    throw new LoadUsageError(
      '--rate (open loop) and --concurrency (closed loop) exclude each other; bound an open loop with --max-in-flight',
    );
  }
  // An open loop at a steady rate unless a closed loop is asked for: steady traffic makes readable metrics.
  const rate =
    values.concurrency !== undefined
      ? undefined
      : values.rate === undefined
        ? DEFAULT_RATE
        : positiveNumber(values.rate, '--rate', 100_000);
  const concurrency =
    values.concurrency === undefined ? sessions : positiveInteger(values.concurrency, '--concurrency', 10_000);
  const maxInFlight =
    values['max-in-flight'] === undefined ? 256 : positiveInteger(values['max-in-flight'], '--max-in-flight', 100_000);

  const requests =
    values.requests === undefined ? undefined : positiveInteger(values.requests, '--requests', MAX_REQUESTS);
  let durationMs = values.duration === undefined ? undefined : parseDuration(values.duration, '--duration');
  if (durationMs !== undefined && (durationMs < 1 || durationMs > MAX_DURATION_MS)) {
    throw new LoadUsageError(`--duration ${values.duration}: a run lasts from 1ms to 24h`);
  }
  if (durationMs === undefined && requests === undefined) durationMs = DEFAULT_DURATION_MS;

  const zipf = values.zipf === undefined ? 1.1 : Number(values.zipf);
  if (!Number.isFinite(zipf) || zipf < 0 || zipf > 10) {
    throw new LoadUsageError(`--zipf ${values.zipf}: the exponent is a number from 0 (even) to 10; 1.1 is typical`);
  }

  const tools = parseToolMix(values.tool ?? []);
  const toolArguments = parseToolArguments(values.args ?? [], tools);

  const faults = (values.fault ?? []).map(parseFault).sort((a, b) => a.atMs - b.atMs);
  for (const fault of faults) {
    if (durationMs !== undefined && fault.atMs >= durationMs) {
      throw new LoadUsageError(
        `--fault "${fault.text}" starts after the run ends (--duration ${values.duration ?? '30s'}); ` +
          `start it earlier or lengthen --duration`,
      );
    }
    // Against the demo tenants, a typo in tenant= would inject a fault nobody sees.
    const tenant = fault.fault.tenant;
    if (tenant !== undefined && !values['no-auth'] && values.tenant === undefined) {
      if (!DEMO_TENANTS.some((demo) => demo.name === tenant)) {
        throw new LoadUsageError(
          `--fault "${fault.text}": tenant=${tenant} is not one of the demo tenants ` +
            `(${DEMO_TENANTS.map((t) => t.name).join(', ')})`,
        );
      }
    }
  }

  const timeoutMs = values.timeout === undefined ? 30_000 : parseDuration(values.timeout, '--timeout');
  if (timeoutMs < 1) throw new LoadUsageError(`--timeout ${values.timeout}: give a duration above 0`);
  const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
  if (!Number.isSafeInteger(seed)) throw new LoadUsageError(`--seed ${values.seed}: give a whole number`);

  return {
    url: target,
    sessions,
    concurrency,
    rate,
    maxInFlight,
    durationMs,
    requests,
    tenants,
    zipf,
    tools,
    arguments: toolArguments,
    faults,
    adminUrl: url(values['admin-url'] ?? new URL('/admin/faults', target).href, '--admin-url'),
    adminToken: values['admin-token'] ?? env['MCP_ADMIN_TOKEN'] ?? '',
    timeoutMs,
    seed,
    json: values.json === true,
    quiet: values.quiet === true,
  };
}
