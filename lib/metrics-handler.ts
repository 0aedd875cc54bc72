import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Registry } from 'prom-client';
import { defaultRegistry } from './metrics.js';
import { Family } from './series.js';
import type { AnyRegistry } from './metrics.js';

export interface MetricsHandlerOptions {
  /** The registry to expose. @default the registry `instrument()` records into */
  registry?: AnyRegistry;
  /** Require `Authorization: Bearer <token>`; unauthenticated scrapes get 401. @default undefined (open) */
  bearerToken?: string;
}

/** A node:http / express handler: `(req, res) => void`. Express's `next` is accepted and never called. */
export type MetricsHandler = (req: IncomingMessage, res: ServerResponse, next?: unknown) => void;

const renders = new WeakMap<AnyRegistry, Promise<unknown>>();

/**
 * Render `registry` as OpenMetrics or Prometheus text. The catalog's families render themselves (from label text kept
 * per series); any other metric (process metrics, the app's own) goes through prom-client, which renames counters while
 * writing OpenMetrics, so renders of one registry run one at a time and the names are put back after each.
 */
export function renderMetrics(registry: AnyRegistry, openMetrics: boolean): Promise<string> {
  const previous = renders.get(registry) ?? Promise.resolve();
  const next = previous.then(() => render(registry, openMetrics));
  renders.set(
    registry,
    next.catch(() => undefined),
  );
  return next;
}

/** prom-client's renderer of one metric: public in its source since v11, missing from its typings. */
interface PromClientInternals {
  getMetricsAsString(metric: unknown): Promise<string>;
}

async function render(registry: AnyRegistry, openMetrics: boolean): Promise<string> {
  const contentType = registry.contentType;
  const renamed: [metric: { name: string }, name: string][] = [];
  // Default labels belong on every sample: with any set, prom-client writes the catalog's families too.
  const defaultLabels = Object.keys((registry as unknown as { _defaultLabels?: object })._defaultLabels ?? {}).length;
  try {
    registry.setContentType(openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE);
    const blocks = await Promise.all(
      registry.getMetricsAsArray().map((metric) => {
        const family: unknown = metric;
        if (family instanceof Family && defaultLabels === 0) return family.render(openMetrics);
        const named = metric as unknown as { name: string; type?: string };
        if (openMetrics && named.type === 'counter') {
          // A family's name is put back to the catalog's even if an earlier `registry.metrics()` stripped it.
          renamed.push([named, family instanceof Family ? family.definition.name : named.name]);
          named.name = named.name.replace(/_total$/, '');
        }
        return (registry as unknown as PromClientInternals).getMetricsAsString(metric);
      }),
    );
    return openMetrics ? `${blocks.join('\n')}\n# EOF\n` : `${blocks.join('\n\n')}\n`;
  } finally {
    registry.setContentType(contentType);
    for (const [metric, name] of renamed) metric.name = name;
  }
}

/** True when the scraper prefers OpenMetrics (Prometheus asks for it first). */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('application/openmetrics-text');
}

function authorized(req: IncomingMessage, expected: Buffer | undefined): boolean {
  if (!expected) return true;
  const header = req.headers.authorization ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Serve the metrics for a scraper. OpenMetrics (with trace-id exemplars on the duration histograms) when the
 * `Accept` header asks for it, Prometheus text otherwise.
 *
 * @example
 * http.createServer((req, res) => req.url === '/metrics' ? handler(req, res) : …)
 */
export function metricsHandler(options: MetricsHandlerOptions = {}): MetricsHandler {
  const registry = options.registry ?? defaultRegistry;
  if (options.bearerToken !== undefined && options.bearerToken === '') {
    throw new TypeError('Invalid bearerToken: empty string (omit it to serve metrics without authentication)');
  }
  const expected = options.bearerToken === undefined ? undefined : Buffer.from(options.bearerToken);
  return (req, res) => {
    if (!authorized(req, expected)) {
      res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer' });
      res.end('unauthorized\n');
      return;
    }
    const openMetrics = wantsOpenMetrics(req.headers.accept);
    renderMetrics(registry, openMetrics).then(
      (body) => {
        res.writeHead(200, {
          'content-type': openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE,
        });
        res.end(body);
      },
      (error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`could not render metrics: ${(error as Error).message}\n`);
      },
    );
  };
}
