/**
 * The load run: MCP sessions opened with the SDK's own client over Streamable HTTP, one bearer token per tenant,
 * tool calls sent in a closed or an open loop, faults applied on schedule, every answer classified and timed. The run
 * is bounded by its duration or request count; nothing is retried (a failure is counted and shown), and the SDK
 * client's stream reconnection is off.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { VERSION } from '../version.js';
import { argumentsFor } from './arguments.js';
import { errorTypeOfAnswer, errorTypeOfFailure, reasonOf } from './classify.js';
import { LoadError, LoadUsageError } from './errors.js';
import { AdminClient, describeFault } from './faults.js';
import type { FaultStep } from './faults.js';
import { WeightedPicker, apportion, seededRandom, zipfWeights } from './mix.js';
import type { LoadOptions, TenantSpec } from './options.js';
import { LoadStats, summarize } from './stats.js';
import type { GroupSummary, Tally } from './stats.js';

/** A session that could not be opened; its share of the traffic went to the tenant's other sessions, if any. */
export interface SessionFailure {
  tenant: string;
  errorType: string;
  reason: string;
}

/** A fault of the schedule and what became of it. Times in seconds from the start of the load. */
export interface FaultRecord {
  text: string;
  fault: string;
  atSeconds: number;
  id?: string;
  appliedAtSeconds?: number;
  endedAtSeconds?: number;
  /** Why it could not be applied or ended. */
  error?: string;
}

/** Everything a run measured; `--json` prints it as is. */
export interface LoadSummary {
  target: string;
  loop: 'closed' | 'open';
  /** Sessions that connected. */
  sessions: number;
  concurrency?: number;
  targetRate?: number;
  seed: number;
  elapsedSeconds: number;
  stoppedBy: 'duration' | 'requests' | 'interrupted';
  all: GroupSummary;
  tools: Record<string, GroupSummary>;
  tenants: Record<string, GroupSummary>;
  /** Open loop: arrivals not sent because `maxInFlight` requests were already waiting. */
  skipped: number;
  sessionFailures: SessionFailure[];
  faults: FaultRecord[];
}

/** A live view of the run, for progress output. */
export interface Progress {
  elapsedMs: number;
  durationMs?: number | undefined;
  requestLimit?: number | undefined;
  completed: number;
  errors: number;
  inFlight: number;
  p95Ms: number;
  activeFaults: string[];
}

/** How the caller follows and stops a run. */
export interface RunHooks {
  /** Aborting stops sending; requests in flight finish and the summary covers what was sent. */
  signal?: AbortSignal;
  /** Lines worth telling as they happen: sessions that failed, faults applied and ended. */
  onEvent?: (line: string) => void;
}

interface Session {
  tenant: TenantSpec;
  client: Client;
  transport: StreamableHTTPClientTransport;
  /** What the server listed to this session. */
  tools: Tool[];
}

// A load generator must not retry behind the user's back: no reconnection of the SDK client's SSE streams.
const NO_RECONNECT = {
  maxRetries: 0,
  initialReconnectionDelay: 1000,
  maxReconnectionDelay: 1000,
  reconnectionDelayGrowFactor: 1,
};
const CONNECTING_AT_ONCE = 16;
const CLOSE_TIMEOUT_MS = 5000;

/** Run `tasks` with at most `limit` of them at a time. */
async function limited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

/**
 * One load run. `run()` opens the sessions, sends the load, applies the fault schedule and resolves to the summary;
 * `progress()` may be called at any time meanwhile.
 */
export class LoadRun {
  private readonly stats = new LoadStats();
  private readonly random: () => number;
  private readonly admin: AdminClient;
  private readonly faultRecords: FaultRecord[];
  private readonly sessionFailures: SessionFailure[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly faultWork = new Set<Promise<void>>();
  private start = 0;
  private issued = 0;
  private inFlight = 0;
  private skipped = 0;
  private stopping = false;
  private stoppedBy: LoadSummary['stoppedBy'] = 'duration';

  constructor(
    private readonly options: LoadOptions,
    private readonly hooks: RunHooks = {},
  ) {
    this.random = seededRandom(options.seed);
    this.admin = new AdminClient(options.adminUrl, options.adminToken, Math.min(options.timeoutMs, 10_000));
    this.faultRecords = options.faults.map((step) => ({
      text: step.text,
      fault: describeFault(step.fault),
      atSeconds: step.atMs / 1000,
    }));
  }

  private event(line: string): void {
    this.hooks.onEvent?.(line);
  }

  private get seconds(): string {
    return `t=${((performance.now() - this.start) / 1000).toFixed(1)}s`;
  }

  /** The run so far. */
  progress(): Progress {
    return {
      elapsedMs: this.start === 0 ? 0 : performance.now() - this.start,
      durationMs: this.options.durationMs,
      requestLimit: this.options.requests,
      completed: this.stats.all.requests,
      errors: this.stats.all.errors,
      inFlight: this.inFlight,
      p95Ms: this.stats.all.latency.quantile(0.95),
      activeFaults: this.faultRecords.filter((f) => f.id && f.endedAtSeconds === undefined).map((f) => f.fault),
    };
  }

  private async connect(tenant: TenantSpec): Promise<Session | undefined> {
    const transport = new StreamableHTTPClientTransport(this.options.url, {
      ...(tenant.token !== undefined && { requestInit: { headers: { authorization: `Bearer ${tenant.token}` } } }),
      reconnectionOptions: NO_RECONNECT,
    });
    const client = new Client({ name: 'mcp-observatory-load', version: VERSION });
    try {
      await client.connect(transport, { timeout: this.options.timeoutMs });
      // As an agent would, and so the client checks structured results against the tools' output schemas.
      const { tools } = await client.listTools(undefined, { timeout: this.options.timeoutMs });
      return { tenant, client, transport, tools };
    } catch (error) {
      const failure = { tenant: tenant.name, errorType: errorTypeOfFailure(error), reason: reasonOf(error) };
      this.sessionFailures.push(failure);
      await client.close().catch(() => undefined);
      return undefined;
    }
  }

  /** Open the sessions, shared over the tenants by their Zipf weight; report tenants left without one. */
  private async openSessions(): Promise<Map<number, Session[]>> {
    const { tenants } = this.options;
    const counts = apportion(this.options.sessions, zipfWeights(tenants.length, this.options.zipf));
    const plan = tenants.flatMap((_, index) => Array.from({ length: counts[index]! }, () => index));
    const byTenant = new Map<number, Session[]>();
    await limited(plan, CONNECTING_AT_ONCE, async (index) => {
      const session = await this.connect(tenants[index]!);
      if (session) byTenant.set(index, [...(byTenant.get(index) ?? []), session]);
    });
    for (const [index, tenant] of tenants.entries()) {
      if (byTenant.has(index)) continue;
      const failure = this.sessionFailures.find((f) => f.tenant === tenant.name);
      this.event(
        `tenant ${tenant.name}: no session could connect (${failure?.errorType}: ${failure?.reason}); ` +
          'its share of the traffic is not sent',
      );
    }
    if (byTenant.size === 0) {
      const first = this.sessionFailures[0];
      throw new LoadError(
        `no session could connect to ${this.options.url.href}: ${first?.errorType}: ${first?.reason}`,
      );
    }
    return byTenant;
  }

  /** The tool mix against what the server lists: names must exist; an empty mix means every tool, evenly. */
  private mix(tools: Tool[]): { tools: Tool[]; weights: number[] } {
    const listed = new Map(tools.map((tool) => [tool.name, tool]));
    const names = [...listed.keys()].join(', ') || 'none';
    for (const name of this.options.arguments.keys()) {
      if (!listed.has(name)) {
        throw new LoadUsageError(
          `--args ${name}=…: the server at ${this.options.url.href} has no tool "${name}"; it lists ${names}`,
        );
      }
    }
    if (this.options.tools.length === 0) {
      if (tools.length === 0) throw new LoadError(`the server at ${this.options.url.href} lists no tools to call`);
      return { tools, weights: tools.map(() => 1) };
    }
    const chosen = this.options.tools.map(({ name, weight }) => {
      const tool = listed.get(name);
      if (!tool) {
        throw new LoadUsageError(
          `--tool ${name}=${weight}: the server at ${this.options.url.href} has no tool "${name}"; it lists ${names}`,
        );
      }
      return tool;
    });
    return { tools: chosen, weights: this.options.tools.map((tool) => tool.weight) };
  }

  private scheduleFaults(): void {
    this.options.faults.forEach((step, index) => {
      const record = this.faultRecords[index]!;
      this.timers.push(setTimeout(() => this.track(this.applyFault(step, record)), step.atMs));
    });
  }

  private track(work: Promise<void>): void {
    this.faultWork.add(work);
    void work.finally(() => this.faultWork.delete(work));
  }

  private async applyFault(step: FaultStep, record: FaultRecord): Promise<void> {
    if (this.stopping) return;
    // The server ends it by itself too, so a load generator that dies leaves no fault behind.
    const { durationMs } = this.options;
    const expiresMs = step.durationMs ?? (durationMs === undefined ? undefined : durationMs - step.atMs + 10_000);
    try {
      record.id = await this.admin.add(step.fault, expiresMs === undefined ? undefined : expiresMs / 1000);
      record.appliedAtSeconds = (performance.now() - this.start) / 1000;
      this.event(
        `${this.seconds} fault ${record.id} on: ${record.fault}${step.durationMs ? ` for ${step.durationMs / 1000}s` : ''}`,
      );
      if (step.durationMs !== undefined) {
        this.timers.push(setTimeout(() => this.track(this.endFault(record)), step.durationMs));
      }
    } catch (error) {
      record.error = (error as Error).message;
      this.event(`${this.seconds} fault "${step.text}" could not be applied: ${record.error}`);
    }
  }

  private async endFault(record: FaultRecord): Promise<void> {
    if (record.id === undefined || record.endedAtSeconds !== undefined) return;
    record.endedAtSeconds = (performance.now() - this.start) / 1000;
    try {
      await this.admin.remove(record.id);
      this.event(`${this.seconds} fault ${record.id} off: ${record.fault}`);
    } catch (error) {
      record.error = (error as Error).message;
      this.event(`${this.seconds} fault ${record.id} could not be ended: ${record.error}`);
    }
  }

  /** Claim the next request, unless the run is stopping or has sent all it may. */
  private claim(): boolean {
    if (this.stopping) return false;
    if (this.options.requests !== undefined && this.issued >= this.options.requests) {
      this.stop('requests');
      return false;
    }
    this.issued++;
    return true;
  }

  private stop(why: LoadSummary['stoppedBy']): void {
    if (this.stopping) return;
    this.stopping = true;
    this.stoppedBy = why;
  }

  /** Send the whole load and return its summary. Sessions are closed and applied faults ended, whatever happens. */
  async run(): Promise<LoadSummary> {
    const { options } = this;
    if (options.faults.length > 0) await this.admin.check();
    const sessions = await this.openSessions();
    const all = [...sessions.values()].flat();
    try {
      const { tools, weights } = this.mix(all[0]!.tools);
      const toolPicker = new WeightedPicker(weights);
      const tenantIndexes = [...sessions.keys()].sort((a, b) => a - b);
      const zipf = zipfWeights(options.tenants.length, options.zipf);
      const tenantPicker = new WeightedPicker(tenantIndexes.map((index) => zipf[index]!));
      const turns = new Map<number, number>();

      const one = async (): Promise<void> => {
        const tenantIndex = tenantIndexes[tenantPicker.pick(this.random)]!;
        const own = sessions.get(tenantIndex)!;
        const turn = turns.get(tenantIndex) ?? 0;
        turns.set(tenantIndex, turn + 1);
        const session = own[turn % own.length]!;
        const tool = tools[toolPicker.pick(this.random)]!;
        const args = options.arguments.get(tool.name) ?? argumentsFor(tool.inputSchema, this.random);
        this.inFlight++;
        const started = performance.now();
        let errorType: string;
        try {
          const result = await session.client.callTool({ name: tool.name, arguments: args }, undefined, {
            timeout: options.timeoutMs,
          });
          errorType = errorTypeOfAnswer(result);
        } catch (error) {
          errorType = errorTypeOfFailure(error);
        } finally {
          this.inFlight--;
        }
        this.stats.record(tool.name, session.tenant.name, performance.now() - started, errorType);
      };

      const onAbort = () => this.stop('interrupted');
      this.hooks.signal?.addEventListener('abort', onAbort, { once: true });
      if (this.hooks.signal?.aborted) onAbort();
      this.start = performance.now();
      if (options.durationMs !== undefined)
        this.timers.push(setTimeout(() => this.stop('duration'), options.durationMs));
      this.scheduleFaults();
      try {
        if (options.rate === undefined) await this.closedLoop(one);
        else await this.openLoop(one, options.rate);
      } finally {
        this.hooks.signal?.removeEventListener('abort', onAbort);
      }
      const elapsedSeconds = (performance.now() - this.start) / 1000;
      return this.summary(all.length, elapsedSeconds);
    } finally {
      this.stopping = true;
      for (const timer of this.timers) clearTimeout(timer);
      await Promise.all(this.faultWork);
      for (const record of this.faultRecords) await this.endFault(record);
      await limited(all, CONNECTING_AT_ONCE, (session) => this.close(session));
    }
  }

  private async closedLoop(one: () => Promise<void>): Promise<void> {
    await Promise.all(
      Array.from({ length: this.options.concurrency }, async () => {
        while (this.claim()) await one();
      }),
    );
  }

  /** Arrivals at `rate` per second whatever the answers; beyond `maxInFlight` waiting, arrivals are skipped. */
  private async openLoop(one: () => Promise<void>, rate: number): Promise<void> {
    const pending = new Set<Promise<void>>();
    let arrivals = 0;
    while (!this.stopping) {
      const due = Math.floor(((performance.now() - this.start) * rate) / 1000) + 1;
      for (; arrivals < due && !this.stopping; arrivals++) {
        if (this.inFlight >= this.options.maxInFlight) {
          this.skipped++;
          continue;
        }
        if (!this.claim()) break;
        const request = one();
        pending.add(request);
        void request.finally(() => pending.delete(request));
      }
      const next = this.start + (arrivals / rate) * 1000;
      // Short naps, so a stop is noticed quickly even at low rates.
      await sleep(Math.min(100, Math.max(1, next - performance.now())));
    }
    await Promise.all(pending);
  }

  private async close({ client, transport }: Session): Promise<void> {
    const bounded = (work: Promise<unknown>) =>
      Promise.race([work.catch(() => undefined), sleep(CLOSE_TIMEOUT_MS, undefined, { ref: false })]);
    // Stateful servers keep a session until told: end it, as a well-behaved client does.
    if (transport.sessionId !== undefined) await bounded(transport.terminateSession());
    await bounded(client.close());
  }

  private summary(sessions: number, elapsedSeconds: number): LoadSummary {
    const { options } = this;
    const by = (tallies: Map<string, Tally>) =>
      Object.fromEntries([...tallies].map(([name, tally]) => [name, summarize(tally, elapsedSeconds)]));
    return {
      target: options.url.href,
      loop: options.rate === undefined ? 'closed' : 'open',
      sessions,
      ...(options.rate === undefined ? { concurrency: options.concurrency } : { targetRate: options.rate }),
      seed: options.seed,
      elapsedSeconds: Math.round(elapsedSeconds * 1000) / 1000,
      stoppedBy: this.stoppedBy,
      all: summarize(this.stats.all, elapsedSeconds),
      tools: by(this.stats.tools),
      tenants: by(this.stats.tenants),
      skipped: this.skipped,
      sessionFailures: this.sessionFailures,
      faults: this.faultRecords,
    };
  }
}

/** Run a load with `options`; see {@link LoadRun}. */
export function runLoad(options: LoadOptions, hooks: RunHooks = {}): Promise<LoadSummary> {
  return new LoadRun(options, hooks).run();
}
