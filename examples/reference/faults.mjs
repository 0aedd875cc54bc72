// Fault injection for drills, off by default: tool errors, added latency, a dependency outage, memory growth and a
// crash. Faults come from FAULT_* environment variables at start, or from the admin endpoint at run time; error,
// latency and crash can target one tool and optionally one tenant.

/** What each fault field means; the admin endpoint's 400 answers quote these. */
const FIELDS = {
  tool: { what: 'a tool name', valid: (v) => typeof v === 'string' && v !== '' },
  tenant: { what: 'a tenant id', valid: (v) => typeof v === 'string' && v !== '' },
  error: { what: 'a probability from 0 to 1, e.g. 0.2', valid: (v) => typeof v === 'number' && v >= 0 && v <= 1 },
  latencyMs: {
    what: 'an integer number of milliseconds from 0 to 60000',
    valid: (v) => Number.isInteger(v) && v >= 0 && v <= 60_000,
  },
  outage: { what: 'true or false', valid: (v) => typeof v === 'boolean' },
  memoryMbPerSecond: {
    what: 'megabytes per second from 0 to 64',
    valid: (v) => typeof v === 'number' && v >= 0 && v <= 64,
  },
  crash: { what: 'true or false', valid: (v) => typeof v === 'boolean' },
  durationSeconds: {
    what: 'seconds, more than 0 and at most 86400',
    valid: (v) => typeof v === 'number' && v > 0 && v <= 86_400,
  },
};

/** A fault specification the server cannot use; the message names the field, the value and what is expected. */
export class FaultError extends Error {}

/** One line that says what a fault does, e.g. `error=0.2 tool=search tenant=acme for 30s`. */
export function describeFault(fault) {
  const parts = [];
  if (fault.error) parts.push(`error=${fault.error}`);
  if (fault.latencyMs) parts.push(`latency=${fault.latencyMs}ms`);
  if (fault.outage) parts.push('outage');
  if (fault.memoryMbPerSecond) parts.push(`memory=${fault.memoryMbPerSecond}MB/s`);
  if (fault.crash) parts.push('crash');
  if (fault.tool) parts.push(`tool=${fault.tool}`);
  if (fault.tenant) parts.push(`tenant=${fault.tenant}`);
  if (fault.durationSeconds) parts.push(`for ${fault.durationSeconds}s`);
  return parts.join(' ');
}

export class Faults {
  /**
   * @param {{ tools: string[], tenants: string[], memoryLimitMb?: number, log?: (line: string) => void }} options
   *   the tools and tenants faults may target, the process's memory limit (the bundle's thresholds.memoryLimitBytes),
   *   where to report changes
   */
  constructor({ tools, tenants, memoryLimitMb = 512, log = () => {} }) {
    this.tools = tools;
    this.tenants = tenants;
    this.memoryLimitMb = memoryLimitMb;
    this.log = log;
    this.active = new Map();
    this.nextId = 1;
    this.leaked = [];
    this.leakTimer = undefined;
  }

  /** Validate `spec` and activate it; returns the fault with its `id` (and `expiresAt` when it has a duration). */
  add(spec) {
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
      throw new FaultError('a fault is a JSON object, e.g. {"error": 0.2, "tool": "search", "durationSeconds": 30}');
    }
    for (const [key, value] of Object.entries(spec)) {
      const field = FIELDS[key];
      if (!field) throw new FaultError(`"${key}" is not a fault field; fields: ${Object.keys(FIELDS).join(', ')}`);
      if (!field.valid(value)) throw new FaultError(`"${key}": ${JSON.stringify(value)} is not ${field.what}`);
    }
    if (spec.tool !== undefined && !this.tools.includes(spec.tool)) {
      throw new FaultError(`"tool": "${spec.tool}" is not a tool of this server; tools: ${this.tools.join(', ')}`);
    }
    if (spec.tenant !== undefined && !this.tenants.includes(spec.tenant)) {
      throw new FaultError(`"tenant": "${spec.tenant}" is not a tenant; tenants: ${this.tenants.join(', ')}`);
    }
    const scoped = spec.error || spec.latencyMs || spec.crash;
    if (!scoped && !spec.outage && !spec.memoryMbPerSecond) {
      throw new FaultError('the fault does nothing: set error, latencyMs, outage, memoryMbPerSecond or crash');
    }
    if (!scoped && (spec.tool !== undefined || spec.tenant !== undefined)) {
      throw new FaultError(
        'tool and tenant scope error, latencyMs and crash; outage and memory growth hit the whole server',
      );
    }
    const id = `f${this.nextId++}`;
    const fault = { id, ...spec };
    if (spec.durationSeconds) {
      fault.expiresAt = new Date(Date.now() + spec.durationSeconds * 1000).toISOString();
      fault.timer = setTimeout(() => this.remove(id, 'expired'), spec.durationSeconds * 1000).unref();
    }
    this.active.set(id, fault);
    this.log(`fault ${id} on: ${describeFault(fault)}`);
    this.updateLeak();
    return this.view(fault);
  }

  /** Deactivate fault `id`; false when there is none. */
  remove(id, why = 'removed') {
    const fault = this.active.get(id);
    if (!fault) return false;
    clearTimeout(fault.timer);
    this.active.delete(id);
    this.log(`fault ${id} off (${why}): ${describeFault(fault)}`);
    this.updateLeak();
    return true;
  }

  clear() {
    for (const id of [...this.active.keys()]) this.remove(id);
  }

  /** The active faults, as the admin endpoint shows them. */
  list() {
    return [...this.active.values()].map((fault) => this.view(fault));
  }

  view({ timer: _timer, ...fault }) {
    return fault;
  }

  /** Whether the dependency is down. */
  get outage() {
    for (const fault of this.active.values()) if (fault.outage) return true;
    return false;
  }

  /** What the faults matching a call of `tool` by `tenant` do to it: `{ error, latencyMs, crash }`. */
  forCall(tool, tenant) {
    let pass = 1;
    let latencyMs = 0;
    let crash = false;
    for (const fault of this.active.values()) {
      if ((fault.tool && fault.tool !== tool) || (fault.tenant && fault.tenant !== tenant)) continue;
      if (fault.error) pass *= 1 - fault.error;
      latencyMs += fault.latencyMs ?? 0;
      crash ||= fault.crash === true;
    }
    return { error: 1 - pass, latencyMs, crash };
  }

  /** An injected crash: an uncaught exception, as a real bug would throw, after saying so on stderr. */
  crash(tool, tenant) {
    process.stderr.write(`injected fault: crashing the process during a call of ${tool} by ${tenant}\n`);
    setImmediate(() => {
      throw new Error(`injected crash in ${tool}`);
    });
  }

  /**
   * Grow the heap by the sum of the memory faults' rates, once a second, until the resident set reaches 95% of the
   * memory limit: past the memory alert's threshold, short of an OOM kill. Release it when the faults end.
   */
  updateLeak() {
    let rate = 0;
    for (const fault of this.active.values()) rate += fault.memoryMbPerSecond ?? 0;
    clearInterval(this.leakTimer);
    this.leakTimer = undefined;
    if (rate === 0) {
      this.leaked = [];
      return;
    }
    this.leakTimer = setInterval(() => {
      const room = Math.floor(this.memoryLimitMb * 0.95 - process.memoryUsage.rss() / (1 << 20));
      // Touch every page: untouched allocations would not show in the resident set.
      for (let i = 0; i < Math.min(rate, room); i++) this.leaked.push(Buffer.alloc(1 << 20, 1));
    }, 1000).unref();
  }
}

const truthy = (value) => /^(1|true|yes|on)$/i.test(value);

/**
 * The fault the FAULT_* environment variables describe, or undefined when none is set. A bad value throws a
 * FaultError naming the variable, the value and the expected form.
 */
export function faultFromEnv(env) {
  const spec = {};
  const number = (name, key) => {
    const text = env[name];
    if (text === undefined || text === '') return;
    const value = Number(text);
    if (!FIELDS[key].valid(value)) throw new FaultError(`${name}=${text} is not ${FIELDS[key].what}`);
    spec[key] = value;
  };
  number('FAULT_ERROR_RATE', 'error');
  number('FAULT_LATENCY_MS', 'latencyMs');
  number('FAULT_MEMORY_MB_PER_S', 'memoryMbPerSecond');
  if (env.FAULT_OUTAGE && truthy(env.FAULT_OUTAGE)) spec.outage = true;
  if (env.FAULT_CRASH && truthy(env.FAULT_CRASH)) spec.crash = true;
  if (env.FAULT_TOOL) spec.tool = env.FAULT_TOOL;
  if (env.FAULT_TENANT) spec.tenant = env.FAULT_TENANT;
  return Object.keys(spec).length === 0 ? undefined : spec;
}
