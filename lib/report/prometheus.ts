/** A small client of the Prometheus HTTP API: instant queries, alerts and rule names, with clear errors. */
import { ReportUnavailableError } from './errors.js';

/** One element of an instant vector (a scalar comes back as one sample without labels). */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** One series of a range query: its labels and its finite samples, `[unix seconds, value]`, oldest first. */
export interface RangeSeries {
  labels: Record<string, string>;
  points: [number, number][];
}

/** An alert as `GET /api/v1/alerts` lists it. */
export interface ActiveAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'firing' | 'pending' | 'inactive';
  activeAt?: string;
  value?: string;
}

/** The Prometheus HTTP API at `url`; every request is bounded by `timeoutMs`. */
export class PrometheusApi {
  /** Every query is evaluated at this instant, so the sections of a report agree with each other. */
  readonly time = Date.now() / 1000;

  constructor(
    readonly url: URL,
    private readonly timeoutMs: number,
  ) {}

  private async get<T>(path: string, params: Record<string, string> = {}): Promise<T> {
    const target = new URL(path, this.url.href.endsWith('/') ? this.url : new URL(`${this.url.href}/`));
    for (const [key, value] of Object.entries(params)) target.searchParams.set(key, value);
    let response: Response;
    try {
      response = await fetch(target, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') {
        throw new ReportUnavailableError(
          `Prometheus at ${this.url.href} did not answer ${path} within ${this.timeoutMs / 1000}s; raise --timeout or shorten --window`,
        );
      }
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new ReportUnavailableError(
        `cannot reach Prometheus at ${this.url.href} (${cause?.code ?? cause?.message ?? (error as Error).message}); ` +
          'is it running? pass its URL with --prometheus',
      );
    }
    const text = await response.text();
    let body: { status?: string; data?: T; errorType?: string; error?: string };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new ReportUnavailableError(
        `${this.url.href} does not answer like the Prometheus HTTP API (GET ${path}: HTTP ${response.status}, not JSON); ` +
          'pass the base URL of Prometheus with --prometheus, e.g. http://127.0.0.1:9090',
      );
    }
    if (body.status !== 'success') {
      throw new Error(`Prometheus refused GET ${path} ${JSON.stringify(params)}: ${body.errorType}: ${body.error}`);
    }
    return body.data as T;
  }

  /** An instant query at {@link time}. */
  async query(expr: string): Promise<Sample[]> {
    const data = await this.get<{ resultType: string; result: unknown }>('api/v1/query', {
      query: expr,
      time: String(this.time),
    });
    if (data.resultType === 'scalar') {
      const [, value] = data.result as [number, string];
      return [{ labels: {}, value: Number(value) }];
    }
    if (data.resultType !== 'vector') throw new Error(`query returned a ${data.resultType}, not a vector: ${expr}`);
    return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map((sample) => {
      const { __name__: _name, ...labels } = sample.metric;
      return { labels, value: Number(sample.value[1]) };
    });
  }

  /** A range query from `start` to {@link time} every `step` seconds: each series with its samples. */
  async queryRange(expr: string, start: number, step: number): Promise<RangeSeries[]> {
    const data = await this.get<{ result: { metric: Record<string, string>; values: [number, string][] }[] }>(
      'api/v1/query_range',
      { query: expr, start: String(start), end: String(this.time), step: String(step) },
    );
    return data.result.map((series) => {
      const { __name__: _name, ...labels } = series.metric;
      const points = series.values
        .map(([t, v]): [number, number] => [t, Number(v)])
        .filter(([, v]) => Number.isFinite(v));
      return { labels, points };
    });
  }

  async alerts(): Promise<ActiveAlert[]> {
    return (await this.get<{ alerts: ActiveAlert[] }>('api/v1/alerts')).alerts;
  }

  /** Names of the recording rules Prometheus has loaded. */
  async recordingRules(): Promise<Set<string>> {
    const data = await this.get<{ groups: { rules: { type: string; name: string }[] }[] }>('api/v1/rules', {
      type: 'record',
    });
    return new Set(
      data.groups.flatMap((group) => group.rules.filter((r) => r.type === 'recording').map((r) => r.name)),
    );
  }
}
