import type { IncomingMessage, ServerResponse } from 'node:http';

/** A dependency check: resolve (any value) when healthy, throw or reject when not. */
export type Check = () => unknown;

export interface CheckOptions {
  /** Fail the check when it has not settled after this long. @default the Health's timeoutMs */
  timeoutMs?: number;
}

export interface HealthOptions {
  /** Default per-check timeout. @default 2000 */
  timeoutMs?: number;
  /** How long a readiness result is reused, so probes cannot hammer dependencies. @default 1000 */
  cacheMs?: number;
  /** Path prefix of the endpoints. @default '/health' */
  basePath?: string;
}

export interface CheckResult {
  status: 'ok' | 'failing';
  duration_ms: number;
  error?: string;
}

export interface Readiness {
  status: 'ok' | 'failing' | 'draining';
  /** Names of the failing checks, so the 503 body says what is wrong. */
  failing: string[];
  checks: Record<string, CheckResult>;
}

interface Registered {
  name: string;
  check: Check;
  timeoutMs: number;
}

/**
 * Liveness and readiness for an MCP server. Liveness answers whether the process serves at all; readiness runs the
 * registered dependency checks in parallel (each with a timeout, the result cached briefly) and turns false while the
 * server drains on shutdown.
 */
export class Health {
  private readonly checks: Registered[] = [];
  private readonly timeoutMs: number;
  private readonly cacheMs: number;
  private readonly livePath: string;
  private readonly readyPath: string;
  private draining = false;
  private cached: { at: number; result: Promise<Readiness> } | undefined;

  constructor(options: HealthOptions = {}) {
    this.timeoutMs = positive('timeoutMs', options.timeoutMs ?? 2000);
    this.cacheMs = nonNegative('cacheMs', options.cacheMs ?? 1000);
    const base = options.basePath ?? '/health';
    this.livePath = `${base}/live`;
    this.readyPath = `${base}/ready`;
  }

  /** Register a dependency check that readiness depends on. */
  register(name: string, check: Check, options: CheckOptions = {}): this {
    if (!name) throw new TypeError('Invalid check name: empty string');
    if (this.checks.some((c) => c.name === name))
      throw new TypeError(`Invalid check name: ${name} is registered twice`);
    this.checks.push({ name, check, timeoutMs: positive(`timeoutMs of ${name}`, options.timeoutMs ?? this.timeoutMs) });
    this.cached = undefined;
    return this;
  }

  /** Readiness goes false from now on: load balancers stop sending new work while in-flight requests finish. */
  drain(): void {
    this.draining = true;
    this.cached = undefined;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Run the checks (or reuse a result younger than `cacheMs`). */
  ready(): Promise<Readiness> {
    const now = performance.now();
    if (this.cached && now - this.cached.at < this.cacheMs) return this.cached.result;
    const result = this.runChecks();
    this.cached = { at: now, result };
    return result;
  }

  private async runChecks(): Promise<Readiness> {
    const results = await Promise.all(this.checks.map((c) => runCheck(c)));
    const checks: Record<string, CheckResult> = {};
    const failing: string[] = [];
    this.checks.forEach((c, i) => {
      checks[c.name] = results[i]!;
      if (results[i]!.status === 'failing') failing.push(c.name);
    });
    const status = this.draining ? 'draining' : failing.length > 0 ? 'failing' : 'ok';
    return { status, failing, checks };
  }

  /**
   * A node:http / express handler for `/health/live` and `/health/ready`. Returns true when it answered; with
   * express, other paths fall through to `next()`.
   */
  handler(): (req: IncomingMessage, res: ServerResponse, next?: () => void) => boolean {
    return (req, res, next) => {
      const path = (req.url ?? '').split('?')[0];
      if (path === this.livePath) {
        send(res, 200, { status: 'ok' });
        return true;
      }
      if (path === this.readyPath) {
        this.ready().then(
          (readiness) => {
            const ready = readiness.status === 'ok' && !this.draining;
            send(res, ready ? 200 : 503, this.draining ? { ...readiness, status: 'draining' } : readiness);
          },
          (error: unknown) => send(res, 503, { status: 'failing', failing: [], error: String(error) }),
        );
        return true;
      }
      next?.();
      return false;
    };
  }
}

async function runCheck({ check, timeoutMs }: Registered): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([Promise.resolve().then(check), timeout]);
    return { status: 'ok', duration_ms: elapsed(started) };
  } catch (error) {
    return { status: 'failing', duration_ms: elapsed(started), error: (error as Error)?.message ?? String(error) };
  } finally {
    clearTimeout(timer);
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`Invalid ${name}: ${value} (expected a number > 0)`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0))
    throw new RangeError(`Invalid ${name}: ${value} (expected a number >= 0)`);
  return value;
}
