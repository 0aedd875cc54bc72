/**
 * Fault schedules of `mcp-observatory load` (`--fault "at 60s: error=0.2 tool=search tenant=acme for 30s"`), and the
 * client of the reference server's admin endpoint that applies them.
 */
import { parseDuration } from './duration.js';
import { LoadError, LoadUsageError } from './errors.js';

/** What a fault does, in the admin endpoint's terms (examples/reference/faults.mjs). */
export interface FaultSpec {
  /** Probability that a matching tool call fails with a tool error. */
  error?: number;
  /** Latency added to each matching tool call. */
  latencyMs?: number;
  /** The server's dependency is down. */
  outage?: boolean;
  /** The server's memory grows by this much a second. */
  memoryMbPerSecond?: number;
  /** The next matching tool call crashes the server. */
  crash?: boolean;
  /** Only calls of this tool. */
  tool?: string;
  /** Only calls of this tenant (the server's tenant id). */
  tenant?: string;
}

/** One step of a fault schedule. */
export interface FaultStep {
  /** As written on the command line. */
  text: string;
  /** When it starts, from the start of the run. */
  atMs: number;
  /** How long it lasts; undefined means until the end of the run. */
  durationMs?: number | undefined;
  fault: FaultSpec;
}

const EXAMPLE = '--fault "at 60s: error=0.2 tool=search tenant=acme for 30s"';
const KEYS = 'error=, latency=, outage, memory=, crash, tool=, tenant=';

function flag(value: string | undefined, fail: (message: string) => never, key: string): boolean {
  if (value === undefined || /^true$/i.test(value)) return true;
  if (/^false$/i.test(value)) return false;
  return fail(`${key}=${value}: write ${key} alone, or ${key}=true / ${key}=false`);
}

/** Parse one `--fault` value; errors name the fault, the bad part and how to write it. */
export function parseFault(text: string): FaultStep {
  const fail = (message: string): never => {
    throw new LoadUsageError(`--fault "${text}": ${message}`);
  };
  const match = /^\s*at\s+(\S+?)\s*:\s*(.*)$/is.exec(text);
  if (!match) fail(`a fault starts with "at <time>:", e.g. ${EXAMPLE}`);
  const atMs = parseDuration(match![1]!, `--fault "${text}"`);
  let tokens = match![2]!.split(/\s+/).filter((token) => token !== '');
  let durationMs: number | undefined;
  const forAt = tokens.indexOf('for');
  if (forAt >= 0) {
    if (forAt !== tokens.length - 2) fail(`"for <duration>" ends a fault, e.g. ${EXAMPLE}`);
    durationMs = parseDuration(tokens[forAt + 1]!, `--fault "${text}"`);
    if (durationMs < 1) fail(`"for ${tokens[forAt + 1]}": a fault lasts more than 0s`);
    tokens = tokens.slice(0, forAt);
  }
  const fault: FaultSpec = {};
  for (const token of tokens) {
    const [key, value] = token.includes('=')
      ? [token.slice(0, token.indexOf('=')), token.slice(token.indexOf('=') + 1)]
      : [token, undefined];
    const need = () =>
      value === undefined || value === ''
        ? fail(`${key} needs a value, e.g. ${key}=${key === 'error' ? '0.2' : '…'}`)
        : value;
    switch (key) {
      case 'error': {
        const raw = need();
        const percent = /^(\d+(?:\.\d+)?)%$/.exec(raw);
        const rate = percent ? Number(percent[1]) / 100 : Number(raw);
        if (!Number.isFinite(rate) || rate <= 0 || rate > 1) {
          fail(`error=${raw}: the error rate is a probability above 0 and at most 1 (or a percentage such as 20%)`);
        }
        fault.error = rate;
        break;
      }
      case 'latency': {
        const ms = parseDuration(need(), `--fault "${text}": latency`);
        if (ms < 1 || ms > 60_000) fail(`latency=${value}: add from 1ms to 60s`);
        fault.latencyMs = ms;
        break;
      }
      case 'memory': {
        const raw = need();
        const mb = /^(\d+(?:\.\d+)?)(?:MB\/s)?$/i.exec(raw);
        if (!mb || Number(mb[1]) <= 0 || Number(mb[1]) > 64) {
          fail(`memory=${raw}: the growth is in MB per second, above 0 and at most 64, e.g. memory=5MB/s`);
        }
        fault.memoryMbPerSecond = Number(mb![1]);
        break;
      }
      case 'outage':
        if (flag(value, fail, key)) fault.outage = true;
        break;
      case 'crash':
        if (flag(value, fail, key)) fault.crash = true;
        break;
      case 'tool':
        fault.tool = need();
        break;
      case 'tenant':
        fault.tenant = need();
        break;
      default:
        fail(`"${token}" is not part of a fault; use ${KEYS} and "for <duration>"`);
    }
  }
  const scoped = fault.error !== undefined || fault.latencyMs !== undefined || fault.crash === true;
  if (!scoped && !fault.outage && fault.memoryMbPerSecond === undefined) {
    fail(`the fault does nothing; give error=, latency=, outage, memory= or crash, e.g. ${EXAMPLE}`);
  }
  if (!scoped && (fault.tool !== undefined || fault.tenant !== undefined)) {
    fail('tool= and tenant= scope error=, latency= and crash; an outage or memory growth hits the whole server');
  }
  return { text, atMs, durationMs, fault };
}

/** One line that says what a fault does: `error=0.2 tool=search tenant=acme`. */
export function describeFault(fault: FaultSpec): string {
  const parts: string[] = [];
  if (fault.error !== undefined) parts.push(`error=${fault.error}`);
  if (fault.latencyMs !== undefined) parts.push(`latency=${fault.latencyMs}ms`);
  if (fault.outage) parts.push('outage');
  if (fault.memoryMbPerSecond !== undefined) parts.push(`memory=${fault.memoryMbPerSecond}MB/s`);
  if (fault.crash) parts.push('crash');
  if (fault.tool !== undefined) parts.push(`tool=${fault.tool}`);
  if (fault.tenant !== undefined) parts.push(`tenant=${fault.tenant}`);
  return parts.join(' ');
}

/** The reference server's admin endpoint for faults: `GET`, `POST` and `DELETE /admin/faults[/id]`. */
export class AdminClient {
  constructor(
    private readonly url: URL,
    private readonly token: string,
    private readonly timeoutMs: number,
  ) {}

  private async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const target = new URL(path, this.url.href.endsWith('/') ? this.url : new URL(`${this.url.href}/`));
    let response: Response;
    try {
      response = await fetch(target, {
        method,
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new LoadError(
        `cannot reach the admin endpoint ${this.url.href}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
      );
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = text;
    }
    if (response.status === 401 || response.status === 403) {
      throw new LoadError(
        `the admin endpoint ${this.url.href} refused the token (HTTP ${response.status}); ` +
          `pass the server's ADMIN_TOKEN with --admin-token or MCP_ADMIN_TOKEN`,
      );
    }
    return { status: response.status, json };
  }

  /** Fail early, before any load, when faults cannot be applied. */
  async check(): Promise<void> {
    const { status } = await this.call('GET', '');
    if (status === 404) {
      throw new LoadError(
        `${this.url.href} answered 404: faults need the admin endpoint of the reference server ` +
          `(examples/reference); point --admin-url at it`,
      );
    }
    if (status !== 200) throw new LoadError(`the admin endpoint ${this.url.href} answered HTTP ${status}`);
  }

  /** Apply `fault`; the server also ends it after `durationSeconds`, so a load generator that dies leaves none. */
  async add(fault: FaultSpec, durationSeconds?: number): Promise<string> {
    const { status, json } = await this.call('POST', '', {
      ...fault,
      ...(durationSeconds !== undefined && { durationSeconds }),
    });
    const answer = json as { id?: string; error?: string } | undefined;
    if (status !== 201 || typeof answer?.id !== 'string') {
      throw new LoadError(
        `the server refused the fault ${describeFault(fault)} (HTTP ${status}): ${answer?.error ?? JSON.stringify(json)}`,
      );
    }
    return answer.id;
  }

  /** End fault `id`; one the server already ended is fine. */
  async remove(id: string): Promise<void> {
    const { status } = await this.call('DELETE', encodeURIComponent(id));
    if (status !== 204 && status !== 404) {
      throw new LoadError(`the admin endpoint ${this.url.href} could not end fault ${id} (HTTP ${status})`);
    }
  }
}
