import { CIRCUIT_STATES, DURATION_BUCKETS_SECONDS, LABEL, METRICS, PROCESS_METRICS, TARGET_INFO } from '../contract.js';
import type { AlertCase, AlertSpec, InputSeries } from './alert-spec.js';
import { bucketIndex, counter, gauge, histogram, vanishing } from './alert-spec.js';
import { RECORD, seconds } from './conventions.js';
import type { Model } from './model.js';
import { REQUESTS, SERVER_FAULT } from './model.js';
import type { ThresholdConfig } from '../config/config.js';

/** A minimal floor under the tenant comparison: a fleet at 0.1% errors must not make a tenant at 0.4% page. */
const TENANT_ERROR_FLOOR = 0.01;

const INSTANCE = 'mcp-1:9464';

/** A ratio as a percentage for prose, without floating-point noise (0.07 → 7). */
function pct(ratio: number): number {
  return Math.round(ratio * 1e6) / 1e4;
}

/** A promtool duration: whole minutes in minutes, the rest in seconds. */
function at(secondsValue: number): string {
  return secondsValue % 60 === 0 ? `${secondsValue / 60}m` : `${secondsValue}s`;
}

/**
 * Test cases are built around the configured threshold, never around the defaults: a case that fires sits a tenth
 * above the threshold (halfway to the end of the scale when that is nearer), a quiet one a tenth below it, so a
 * threshold moved by a fifth either way fails a case.
 */
function above(ratio: number): number {
  return round6(Math.min(ratio * 1.1, ratio + (1 - ratio) / 2));
}
function below(value: number): number {
  return round6(value * 0.9);
}

/** Rounded to 6 significant decimals: test inputs without floating-point noise. */
function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** Requests per step in the ratio cases: large enough that every ratio above is a whole or half request. */
const PER_STEP = 1000;

/** The time grid of one alert's promtool cases: inputs are sampled, and rules evaluated, once a step. */
interface Grid {
  /** Seconds in a step. */
  step: number;
  /** The step as a promtool duration: the cases' input interval and the alert's evaluation interval. */
  interval: string;
  /** Samples of each input series: past {@link after} with room to spare. */
  length: number;
  /** An evaluation time comfortably after the window filled and `for:` elapsed. */
  after: string;
  /**
   * The step at which a rate of a counter that starts at 0 with `multiple` times the threshold's slope first exceeds
   * the threshold: Prometheus does not extrapolate a counter below zero, so over a window of W steps the rate at step
   * t reads t/W of the slope until the window has filled.
   */
  rateActiveAt(multiple: number): number;
  /**
   * The `for:` boundary of a firing case whose condition holds from step `activeAt` on (1 for rates, which need two
   * samples; 0 for gauges): firing exactly when `for:` has elapsed, and only pending one evaluation before. A `for:`
   * doubled or halved fails one of the two.
   */
  boundary(firing: AlertCase, activeAt?: number): AlertCase[];
}

/**
 * The grid of an alert with this window and `for:`: a minute for the standard profile's windows; finer for the fast
 * profile's (a `for:` of 15s is tested every 5 s), and never coarser than half the `for:`, so that a `for:` halved
 * shows as firing one evaluation early.
 */
function grid(window: string, forDuration: string): Grid {
  const [windowSeconds, forSeconds] = [seconds(window), seconds(forDuration)];
  const step =
    [60, 30, 20, 15, 12, 10, 6, 5, 4, 3, 2].find(
      (d) => windowSeconds % d === 0 && forSeconds % d === 0 && (forSeconds === 0 || d <= forSeconds / 2),
    ) ?? 1;
  const windowSteps = Math.ceil(windowSeconds / step);
  const afterSteps = windowSteps + Math.ceil(forSeconds / step) + 5;
  return {
    step,
    interval: at(step),
    length: Math.max(30, afterSteps + 5),
    after: at(afterSteps * step),
    rateActiveAt: (multiple) => Math.floor(windowSteps / multiple + 1e-9) + 1,
    boundary: (firing, activeAt = 1) => {
      const firesAt = activeAt * step + forSeconds;
      const atFor: AlertCase = {
        ...firing,
        name: `${firing.name}: firing as soon as its for: ${forDuration} elapsed`,
        evalTime: at(firesAt),
      };
      // A for: of 0s on a gauge fires at once: there is no evaluation before.
      if (firesAt < step) return [atFor];
      const pending = { ...firing, name: `${firing.name}: pending one evaluation before its for: ${forDuration}` };
      return [atFor, { ...pending, evalTime: at(firesAt - step), expect: [] }];
    },
  };
}

/**
 * Is the service there: an instance down, and no instance at all. A scraped service has `up` per target; a
 * collector-fed one has no target of its own, only the `target_info` series the collector's exporter keeps while the
 * service sends (until the exporter's metric expiration, 5 minutes by default, after it stopped).
 */
function livenessAlerts(model: Model): AlertSpec[] {
  const { job, selector: sel } = model;
  const base = { job, instance: INSTANCE };
  const scraped = model.config.service.source === 'scrape';
  const present = scraped ? 'up' : TARGET_INFO;
  const { serverDownFor, serverAbsentFor } = model.detection;
  const downGrid = grid(serverDownFor, serverDownFor);
  const downCase: AlertCase = {
    name: 'an instance that stopped answering scrapes',
    interval: downGrid.interval,
    inputs: [gauge('up', base, 0, downGrid.length)],
    evalTime: downGrid.after,
    expect: [{ labels: base, value: '0' }],
  };
  const down: AlertSpec = {
    alert: 'McpServerDown',
    evaluationInterval: downGrid.interval,
    expr: scraped
      ? `up{${sel}} == 0`
      : // Instances that sent within the last hour and no longer do.
        `max by (job, instance) (max_over_time(${TARGET_INFO}{${sel}}[1h])) unless on (job, instance) ${TARGET_INFO}{${sel}}`,
    for: serverDownFor,
    severity: 'critical',
    priority: 'P1',
    summary: 'An MCP server instance is down.',
    description: scraped
      ? 'Prometheus cannot scrape {{ $labels.instance }} of job {{ $labels.job }} (up = {{ $value }}).'
      : 'Instance {{ $labels.instance }} of job {{ $labels.job }} stopped sending telemetry to the collector.',
    dashboard: 'overview',
    runbook: {
      meaning: scraped
        ? `Prometheus has failed to scrape this instance for ${serverDownFor}: the process is gone, hung, or unreachable.`
        : 'The collector has had no metrics from this instance for longer than its metric expiration (5 minutes by default): the process is gone, hung, or cannot reach the collector.',
      impact: 'Every client routed to this instance gets connection errors; with one instance, the service is down.',
      investigate: [
        'Check the process and its last logs: is it running, did it crash, was it OOM-killed (exit code 137)?',
        scraped
          ? 'Open the metrics endpoint yourself (`curl http://<instance>/metrics`) to tell a dead process from a network problem.'
          : "Check that the collector runs and that the instance's OTLP exporter reaches it (its logs name export failures).",
        'Check /health/live and /health/ready of the instance.',
        'Look for a deployment or configuration change in the last hour.',
      ],
      mitigate: [
        'Restart the instance; if it keeps dying, roll back the last deployment.',
        'If the host or network is at fault, move the instance or fail traffic over to healthy instances.',
      ],
    },
    cases: scraped
      ? [
          downCase,
          ...downGrid.boundary(downCase, 0),
          {
            name: 'a healthy instance',
            interval: downGrid.interval,
            inputs: [gauge('up', base, 1, downGrid.length)],
            evalTime: downGrid.after,
            expect: [],
          },
        ]
      : [
          {
            name: 'an instance whose telemetry stopped reaching the collector',
            interval: '1m',
            inputs: [vanishing(TARGET_INFO, base, 1, 9)],
            evalTime: '15m',
            expect: [{ labels: base, value: '1' }],
          },
          {
            name: 'an instance still sending',
            interval: '1m',
            inputs: [gauge(TARGET_INFO, base, 1, 20)],
            evalTime: '15m',
            expect: [],
          },
        ],
  };
  const absentGrid = grid(serverAbsentFor, serverAbsentFor);
  const absentCase: AlertCase = {
    name: 'no series of the job, only another job',
    interval: absentGrid.interval,
    inputs: [gauge(present, { job: 'something-else', instance: 'x:1' }, 1, absentGrid.length)],
    evalTime: absentGrid.after,
    expect: [{ labels: { job }, value: '1' }],
  };
  const absent: AlertSpec = {
    alert: 'McpServerAbsent',
    expr: `absent(${present}{${sel}})`,
    for: serverAbsentFor,
    evaluationInterval: absentGrid.interval,
    severity: 'critical',
    priority: 'P1',
    summary: 'No MCP server instance is being scraped.',
    description: scraped
      ? `Prometheus has no target for job {{ $labels.job }}: the service is not deployed or not discovered.`
      : `No instance of job {{ $labels.job }} sends telemetry through the collector: the service is not deployed or not exporting.`,
    dashboard: 'overview',
    runbook: {
      meaning: scraped
        ? 'Prometheus has no scrape target for the service at all: nothing to monitor, so no other alert can fire.'
        : 'The collector holds no metrics of the service at all: nothing to monitor, so no other alert can fire.',
      impact: 'Possibly a full outage, and certainly a monitoring blind spot.',
      investigate: scraped
        ? [
            'Check that the service is deployed and its pods or processes exist.',
            'Check Prometheus service discovery (Status → Targets) and the scrape configuration for the job.',
            'Check relabelling rules that may have dropped the target.',
          ]
        : [
            'Check that the service is deployed and its pods or processes exist.',
            "Check the service's OTLP endpoint and that Prometheus scrapes the collector's Prometheus exporter (Status → Targets).",
            `Check the service's service.name and service.namespace: its job is their join, here ${job}.`,
          ],
      mitigate: [
        scraped
          ? 'Redeploy the service or fix the scrape configuration; confirm the target shows up as UP.'
          : `Redeploy the service or fix its OTLP export; confirm ${TARGET_INFO}{${sel}} is back.`,
      ],
    },
    cases: [
      absentCase,
      ...absentGrid.boundary(absentCase, 0),
      {
        name: 'an instance of the job is there',
        interval: absentGrid.interval,
        inputs: [gauge(present, base, 1, absentGrid.length)],
        evalTime: absentGrid.after,
        expect: [],
      },
    ],
  };
  return [down, absent];
}

/** Threshold alerts: the operations guides' numbers, from the configuration. */
export function thresholdAlerts(model: Model): AlertSpec[] {
  const t = model.config.thresholds;
  const job = model.job;
  const sel = model.selector;
  const durations = model.requests;
  const base = { job, instance: INSTANCE };
  const request = (labels: Record<string, string>) => ({
    ...base,
    [LABEL.METHOD]: 'tools/call',
    [LABEL.TOOL]: 'search',
    [LABEL.ERROR_TYPE]: '',
    [LABEL.TRANSPORT]: 'tcp',
    ...labels,
  });
  const requests = (ok: number, serverErrors: number, clientErrors: number, steps: number): InputSeries[] => [
    counter(REQUESTS, request({}), ok, steps),
    counter(REQUESTS, request({ [LABEL.ERROR_TYPE]: 'tool_error' }), serverErrors, steps),
    counter(REQUESTS, request({ [LABEL.ERROR_TYPE]: '-32602' }), clientErrors, steps),
  ];
  const specs: AlertSpec[] = [];

  // The guard of the short-window alerts: enough requests in the window that a ratio or a quantile means something.
  const { minRequests } = model.detection;
  const enoughRequests = (by: string[], matchers: string, window: string) =>
    `and sum by (${by.join(', ')}) (${durations.rate(matchers, `[${window}]`)}) * ${seconds(window)} >= ${minRequests}`;
  /** A firing case's traffic a tenth above the guard's count of requests in the window, and a tenth below it. */
  const guardCases = (
    g: Grid,
    window: string,
    inputs: (perStep: number) => InputSeries[],
    firing: { labels: Record<string, string>; value: string },
  ): AlertCase[] =>
    [1.1, 0.9].map((share) => ({
      name: `${round6(minRequests * share)} requests in the window, ${share > 1 ? 'over' : 'under'} the guard of ${minRequests}`,
      interval: g.interval,
      inputs: inputs(round6((minRequests * share * g.step) / seconds(window))),
      evalTime: g.after,
      expect: share > 1 ? [firing] : [],
    }));

  // --- availability -------------------------------------------------------------------------------------------
  specs.push(...livenessAlerts(model));

  const errorRatio = t.errorRatio;
  const errorGrid = grid(errorRatio.window, errorRatio.for);
  const errorsAbove = above(errorRatio.value);
  const errorsBelow = below(errorRatio.value);
  const errorCase: AlertCase = {
    name: `server errors at ${humanizePercentage(errorsAbove)} of requests`,
    interval: errorGrid.interval,
    inputs: requests(round6(PER_STEP * (1 - errorsAbove)), round6(PER_STEP * errorsAbove), 0, errorGrid.length),
    evalTime: errorGrid.after,
    expect: [{ labels: { job }, value: humanizePercentage(errorsAbove) }],
  };
  specs.push({
    alert: 'McpHighErrorRatio',
    expr:
      `sum by (job) (${durations.rate(`${sel}, ${SERVER_FAULT}`, `[${errorRatio.window}]`)})\n` +
      `  / sum by (job) (${durations.rate(sel, `[${errorRatio.window}]`)})\n> ${errorRatio.value}\n` +
      enoughRequests(['job'], sel, errorRatio.window),
    for: errorRatio.for,
    evaluationInterval: errorGrid.interval,
    severity: 'critical',
    priority: 'P2',
    summary: 'The MCP server answers too many requests with server errors.',
    description: `{{ $value | humanizePercentage }} of the requests of {{ $labels.job }} failed with a server-owned error over the last ${errorRatio.window} (threshold ${pct(errorRatio.value)}%).`,
    dashboard: 'overview',
    runbook: {
      meaning: `More than ${pct(errorRatio.value)}% of requests failed with an error the server owns (tool errors, internal and server-range JSON-RPC errors) for ${errorRatio.for}, among at least ${minRequests} requests in ${errorRatio.window}. Client faults such as invalid arguments do not count.`,
      impact: 'Agents and users get failed tool calls; an LLM may retry, amplifying load, or give up on the task.',
      investigate: [
        'On the Overview dashboard, split errors by error type and method: one tool or everything?',
        'On the Tools dashboard, find the tools with the highest error ratio; check their logs (`error.type`, `trace_id`).',
        'Open a failing trace from the exemplars on the latency panel: which dependency or step fails?',
        'Check the Dependencies dashboard: an open circuit breaker or a failing dependency explains tool errors.',
        'Check recent deployments and configuration changes.',
      ],
      mitigate: [
        'If a deployment caused it: roll back.',
        'If one dependency fails: fail fast with its circuit breaker, or disable the affected tool.',
        'If load caused it: scale out, or rate-limit the noisiest tenants.',
      ],
    },
    cases: [
      errorCase,
      ...errorGrid.boundary(errorCase),
      {
        // Counted with the client faults, the errors would be as many as in the firing case.
        name: `server errors at ${humanizePercentage(errorsBelow)}, below the threshold; client faults do not count`,
        interval: errorGrid.interval,
        inputs: requests(
          round6(PER_STEP * (1 - errorsAbove)),
          round6(PER_STEP * errorsBelow),
          round6(PER_STEP * (errorsAbove - errorsBelow)),
          errorGrid.length,
        ),
        evalTime: errorGrid.after,
        expect: [],
      },
      ...guardCases(
        errorGrid,
        errorRatio.window,
        (perStep) => requests(round6(perStep * (1 - errorsAbove)), round6(perStep * errorsAbove), 0, errorGrid.length),
        { labels: { job }, value: humanizePercentage(errorsAbove) },
      ),
    ],
  });

  // --- latency ------------------------------------------------------------------------------------------------
  const p95 = t.latencyP95;
  const p95Grid = grid(p95.window, p95.for);
  // Requests all in the first bucket above the threshold have a p95 above it; all in the last bucket below it, one
  // below it (the configuration keeps the threshold under the largest finite boundary).
  const boundaries = DURATION_BUCKETS_SECONDS as readonly number[];
  /** The first bucket whose every request is slower than `threshold`. */
  const slowerThan = (threshold: number) =>
    boundaries.findIndex((bound, i) => i > 0 && boundaries[i - 1]! >= threshold);
  const slowBucket = slowerThan(p95.value);
  const fastBucket = boundaries.findLastIndex((bound) => bound <= p95.value);
  const lowerBound = (bucket: number) => boundaries[bucket - 1] ?? 0;
  /** The p95 Prometheus interpolates when every request falls in `bucket`. */
  const p95Within = (bucket: number) => lowerBound(bucket) + 0.95 * (boundaries[bucket]! - lowerBound(bucket));
  const latency = (bucket: number, perStep = 60) =>
    histogram(METRICS.serverOperationDuration.name, request({}), { [bucket]: perStep }, p95Grid.length);
  const slowLower = lowerBound(slowBucket);
  const slowUpper = boundaries[slowBucket]!;
  /**
   * Requests split between two neighbouring buckets so that histogram_quantile puts the p95 at about `target`: a few
   * in the bucket holding it, the rest in the one below (Prometheus interpolates linearly within a bucket). Returns
   * the inputs and the p95 as Prometheus computes it, or nothing when `target` sits too near a boundary.
   */
  const p95At = (target: number, length: number): { inputs: InputSeries[]; p95: number } | undefined => {
    const upper = boundaries.findIndex((bound) => bound > target);
    if (upper < 1) return undefined;
    const [lo, hi] = [boundaries[upper - 1]!, boundaries[upper]!];
    const share = (target - lo) / (hi - lo);
    const total = 1000;
    const slow = Math.round((total * 0.05) / (1 - share));
    if (share > 0.9 || slow > total) return undefined;
    const fast = total - slow;
    const inputs = histogram(
      METRICS.serverOperationDuration.name,
      request({}),
      { [upper - 1]: fast, [upper]: slow },
      length,
    );
    return { inputs, p95: lo + (hi - lo) * ((0.95 * total - fast) / slow) };
  };
  const justAbove = p95At(round6(p95.value * 1.1), p95Grid.length);
  const justBelow = p95At(round6(p95.value * 0.9), p95Grid.length);
  const slowP95 = { labels: { job }, value: humanizeDuration(p95Within(slowBucket)) };
  const latencyCase: AlertCase = {
    name: `every request takes between ${slowLower} and ${slowUpper} seconds`,
    interval: p95Grid.interval,
    inputs: latency(slowBucket),
    evalTime: p95Grid.after,
    expect: [slowP95],
  };
  specs.push({
    alert: 'McpHighLatencyP95',
    expr:
      `${durations.quantile(0.95, ['job'], sel, `[${p95.window}]`)} > ${p95.value}\n` +
      enoughRequests(['job'], sel, p95.window),
    for: p95.for,
    evaluationInterval: p95Grid.interval,
    severity: 'warning',
    priority: 'P2',
    summary: 'MCP requests are slow.',
    description: `The p95 latency of {{ $labels.job }} is {{ $value | humanizeDuration }} over the last ${p95.window} (threshold ${p95.value} s).`,
    dashboard: 'overview',
    runbook: {
      meaning: `The 95th percentile of request duration has been above ${p95.value} s for ${p95.for}, among at least ${minRequests} requests in ${p95.window}.`,
      impact: 'Agents wait; clients may time out and retry, which adds load.',
      investigate: [
        'On the Tools dashboard, find the slow tools (p95 by tool); on the Tenants dashboard, check whether one tenant drives load.',
        'Open a slow trace from the exemplars on the latency panel and find the slow span.',
        'Check saturation: in-flight requests, event-loop lag and CPU on the Runtime dashboard.',
        'Check dependencies: a slow downstream call or a cache with a low hit ratio.',
      ],
      mitigate: [
        'If CPU or the event loop is saturated: scale out.',
        'If a dependency is slow: lower its timeout and let the circuit breaker shed load.',
        'If one tenant floods the server: apply its rate limit.',
      ],
    },
    cases: [
      latencyCase,
      ...p95Grid.boundary(latencyCase),
      // Near the threshold, so that one moved by a fifth either way fails a case.
      ...(justAbove && justAbove.p95 > p95.value
        ? [
            {
              name: `p95 just above the threshold, at ${humanizeDuration(justAbove.p95)}`,
              interval: p95Grid.interval,
              inputs: justAbove.inputs,
              evalTime: p95Grid.after,
              expect: [{ labels: { job }, value: humanizeDuration(justAbove.p95) }],
            },
          ]
        : []),
      ...(justBelow && justBelow.p95 < p95.value
        ? [
            {
              name: `p95 just below the threshold, at ${humanizeDuration(justBelow.p95)}`,
              interval: p95Grid.interval,
              inputs: justBelow.inputs,
              evalTime: p95Grid.after,
              expect: [],
            },
          ]
        : []),
      ...(fastBucket < 0
        ? []
        : [
            {
              name: `every request takes between ${lowerBound(fastBucket)} and ${boundaries[fastBucket]} seconds: p95 below ${p95.value} s`,
              interval: p95Grid.interval,
              inputs: latency(fastBucket),
              evalTime: p95Grid.after,
              expect: [],
            },
          ]),
      ...guardCases(p95Grid, p95.window, (perStep) => latency(slowBucket, perStep), slowP95),
    ],
  });

  // The mean, which the operations guides watch beside the p95: a slowdown of most requests the p95 shows late.
  const average = t.averageLatency;
  const averageGrid = grid(average.window, average.for);
  /** `perStep` requests a step, each taking `seconds`. */
  const taking = (seconds: number, perStep = 60): InputSeries[] => [
    counter(REQUESTS, request({}), perStep, averageGrid.length),
    counter(`${METRICS.serverOperationDuration.name}_sum`, request({}), round6(perStep * seconds), averageGrid.length),
  ];
  const slowMean = { labels: { job }, value: humanizeDuration(round6(average.value * 1.1)) };
  const averageCase: AlertCase = {
    name: `every request takes ${humanizeDuration(round6(average.value * 1.1))}, a tenth above the threshold`,
    interval: averageGrid.interval,
    inputs: taking(round6(average.value * 1.1)),
    evalTime: averageGrid.after,
    expect: [slowMean],
  };
  specs.push({
    alert: 'McpHighAverageLatency',
    expr:
      `sum by (job) (${durations.sumRate(sel, `[${average.window}]`)})\n` +
      `  / sum by (job) (${durations.rate(sel, `[${average.window}]`)})\n> ${average.value}\n` +
      enoughRequests(['job'], sel, average.window),
    for: average.for,
    evaluationInterval: averageGrid.interval,
    severity: 'warning',
    priority: 'P3',
    summary: 'MCP requests are slow on average.',
    description: `The mean request duration of {{ $labels.job }} is {{ $value | humanizeDuration }} over the last ${average.window} (threshold ${average.value} s).`,
    dashboard: 'overview',
    runbook: {
      meaning: `The mean duration of requests has been above ${average.value} s for ${average.for}, among at least ${minRequests} requests in ${average.window}: most requests are slower, not only the tail.`,
      impact: 'Every agent waits longer for every call; throughput per client drops and queues build up.',
      investigate: [
        'On the Overview dashboard, compare p50, p95 and the request rate: all of them up means load or a shared dependency.',
        'On the Tools dashboard, find the tools whose latency rose; a heavy tool called more often also raises the mean.',
        'Check CPU, event-loop lag and GC on the Runtime dashboard, and the dependencies (breakers, cache hit ratio).',
      ],
      mitigate: [
        'Scale out if CPU or the event loop is saturated; roll back a change that made requests costlier.',
        'If a dependency is slow: lower its timeout, serve from cache, and let the breaker shed load.',
      ],
    },
    cases: [
      averageCase,
      ...averageGrid.boundary(averageCase),
      {
        name: `every request takes ${humanizeDuration(below(average.value))}, a tenth below the threshold`,
        interval: averageGrid.interval,
        inputs: taking(below(average.value)),
        evalTime: averageGrid.after,
        expect: [],
      },
      ...guardCases(averageGrid, average.window, (perStep) => taking(round6(average.value * 1.1), perStep), slowMean),
    ],
  });

  // One slow tool, which the service's p95 hides when the others are fast.
  const toolLatency = t.toolLatencyP95;
  const toolLatencyGrid = grid(toolLatency.window, toolLatency.for);
  const toolSlow = p95At(round6(toolLatency.value * 1.1), toolLatencyGrid.length);
  const toolFast = p95At(round6(toolLatency.value * 0.9), toolLatencyGrid.length);
  const toolLabels = { job, [LABEL.TOOL]: 'search' };
  const toolSlowCase: AlertCase | undefined = toolSlow && {
    name: `tool search's p95 just above the threshold, at ${humanizeDuration(toolSlow.p95)}`,
    interval: toolLatencyGrid.interval,
    inputs: toolSlow.inputs,
    evalTime: toolLatencyGrid.after,
    expect: [{ labels: toolLabels, value: humanizeDuration(toolSlow.p95) }],
  };
  const toolCalls = `${sel}, ${LABEL.METHOD}="tools/call"`;
  specs.push({
    alert: 'McpToolSlow',
    expr:
      `${durations.quantile(0.95, ['job', LABEL.TOOL], toolCalls, `[${toolLatency.window}]`)} > ${toolLatency.value}\n` +
      enoughRequests(['job', LABEL.TOOL], toolCalls, toolLatency.window),
    for: toolLatency.for,
    evaluationInterval: toolLatencyGrid.interval,
    severity: 'warning',
    priority: 'P2',
    summary: 'One MCP tool is slow.',
    description: `The p95 latency of tool {{ $labels.gen_ai_tool_name }} of {{ $labels.job }} is {{ $value | humanizeDuration }} over the last ${toolLatency.window} (threshold ${toolLatency.value} s).`,
    dashboard: 'tools',
    runbook: {
      meaning: `The 95th percentile duration of one tool's calls has been above ${toolLatency.value} s for ${toolLatency.for}, among at least ${minRequests} calls in ${toolLatency.window}.`,
      impact: 'Agents that use this tool wait or time out; the service-wide p95 may still look fine.',
      investigate: [
        'On the Tools dashboard, compare the tool with the others: since when, for every tenant or one?',
        'Open a slow trace of the tool from the exemplars and find the slow span (a dependency, a large input).',
        'Check the dependency the tool calls on the Dependencies dashboard (breaker, cache hit ratio).',
      ],
      mitigate: [
        'If a dependency is slow: lower its timeout and let the breaker shed load.',
        'If inputs grew: bound them (pagination, size limits) or move the tool to a background task.',
      ],
    },
    cases: toolSlowCase
      ? [
          toolSlowCase,
          ...toolLatencyGrid.boundary(toolSlowCase),
          ...(toolFast && toolFast.p95 < toolLatency.value
            ? [
                {
                  name: `tool search's p95 just below the threshold, at ${humanizeDuration(toolFast.p95)}`,
                  interval: toolLatencyGrid.interval,
                  inputs: toolFast.inputs,
                  evalTime: toolLatencyGrid.after,
                  expect: [],
                },
              ]
            : []),
          ...guardCases(
            toolLatencyGrid,
            toolLatency.window,
            (perStep) =>
              histogram(
                METRICS.serverOperationDuration.name,
                request({}),
                { [slowerThan(toolLatency.value)]: perStep },
                toolLatencyGrid.length,
              ),
            { labels: toolLabels, value: humanizeDuration(p95Within(slowerThan(toolLatency.value))) },
          ),
        ]
      : [],
  });

  const tool = t.toolSuccess;
  const toolGrid = grid(tool.window, tool.for);
  const failureRatio = Math.round((1 - tool.value) * 1e9) / 1e9;
  const toolRequests = (ok: number, failed: number) => [
    counter(REQUESTS, request({}), ok, toolGrid.length),
    counter(REQUESTS, request({ [LABEL.ERROR_TYPE]: '-32603' }), failed, toolGrid.length),
  ];
  const toolFails = above(failureRatio);
  const toolFailing = { labels: { job, [LABEL.TOOL]: 'search' }, value: humanizePercentage(toolFails) };
  const toolCase: AlertCase = {
    name: `tool search fails ${humanizePercentage(toolFails)} of its calls`,
    interval: toolGrid.interval,
    inputs: toolRequests(round6(PER_STEP * (1 - toolFails)), round6(PER_STEP * toolFails)),
    evalTime: toolGrid.after,
    expect: [toolFailing],
  };
  specs.push({
    alert: 'McpToolFailing',
    expr:
      `sum by (job, ${LABEL.TOOL}) (${durations.rate(`${toolCalls}, ${SERVER_FAULT}`, `[${tool.window}]`)})\n` +
      `  / sum by (job, ${LABEL.TOOL}) (${durations.rate(toolCalls, `[${tool.window}]`)})\n> ${failureRatio}\n` +
      enoughRequests(['job', LABEL.TOOL], toolCalls, tool.window),
    for: tool.for,
    evaluationInterval: toolGrid.interval,
    severity: 'warning',
    priority: 'P2',
    summary: 'One MCP tool fails too often.',
    description: `Tool {{ $labels.gen_ai_tool_name }} of {{ $labels.job }} fails {{ $value | humanizePercentage }} of its calls (success below ${pct(tool.value)}%).`,
    dashboard: 'tools',
    runbook: {
      meaning: `One tool's success ratio has been below ${pct(tool.value)}% for ${tool.for}, counting only server-owned errors, among at least ${minRequests} calls in ${tool.window}.`,
      impact: 'Every agent task that needs this tool fails or degrades; the rest of the server may be fine.',
      investigate: [
        'On the Tools dashboard, select the tool: error types, latency, and which tenants call it.',
        'Read the tool-call audit lines and request logs for the tool (`gen_ai.tool.name`), and open a failing trace.',
        'Check the dependency the tool calls (Dependencies dashboard).',
      ],
      mitigate: ['Roll back a change to the tool; or disable the tool until fixed, so agents stop choosing it.'],
    },
    cases: [
      toolCase,
      ...toolGrid.boundary(toolCase),
      {
        name: `tool search fails ${humanizePercentage(below(failureRatio))} of its calls`,
        interval: toolGrid.interval,
        inputs: toolRequests(round6(PER_STEP * (1 - below(failureRatio))), round6(PER_STEP * below(failureRatio))),
        evalTime: toolGrid.after,
        expect: [],
      },
      ...guardCases(
        toolGrid,
        tool.window,
        (perStep) => toolRequests(round6(perStep * (1 - toolFails)), round6(perStep * toolFails)),
        toolFailing,
      ),
    ],
  });

  const tenant = t.tenantErrorRatio;
  const tenantGrid = grid(tenant.window, tenant.for);
  const tenantSeries = (tenantId: string, ok: number, failed: number): InputSeries[] => [
    counter(
      METRICS.tenantOperations.name,
      { ...base, [LABEL.TENANT]: tenantId, [LABEL.METHOD]: 'tools/call', [LABEL.ERROR_TYPE]: '' },
      ok,
      tenantGrid.length,
    ),
    counter(
      METRICS.tenantOperations.name,
      { ...base, [LABEL.TENANT]: tenantId, [LABEL.METHOD]: 'tools/call', [LABEL.ERROR_TYPE]: 'tool_error' },
      failed,
      tenantGrid.length,
    ),
  ];
  const tenantRatio = (errors: string) =>
    `sum by (job, ${LABEL.TENANT}) (rate(${METRICS.tenantOperations.name}{${sel}${errors}}[${tenant.window}]))`;
  const fleetRatio = (errors: string) =>
    `sum by (job) (rate(${METRICS.tenantOperations.name}{${sel}${errors}}[${tenant.window}]))`;
  // Tenant acme fails 20 of its 100 calls a minute; globex's traffic and errors set the fleet's ratio so that acme's
  // is `times` the fleet's. Globex sends far more, so that its own ratio stays near the fleet's (when acme is below
  // the fleet, globex is above it, but by less than the threshold).
  const tenantAgainstFleet = (times: number): InputSeries[] => {
    const globex = 100 * Math.max(1, times) * Math.max(20, 2 / (tenant.value - 1));
    const globexFailed = round6((0.2 * (100 + globex)) / times - 20);
    return [...tenantSeries('acme', 80, 20), ...tenantSeries('globex', round6(globex - globexFailed), globexFailed)];
  };
  // Near the floor: acme's ratio a tenth above or below it, and far more than the multiple of a quiet fleet's.
  const nearFloor = (acmeRatio: number): InputSeries[] => {
    const acmeFailed = round6(1000 * acmeRatio);
    const fleetRatio = acmeRatio / (tenant.value * 1.5);
    const globex = 20_000;
    const globexFailed = round6(fleetRatio * (1000 + globex) - acmeFailed);
    return [
      ...tenantSeries('acme', round6(1000 - acmeFailed), acmeFailed),
      ...tenantSeries('globex', round6(globex - globexFailed), globexFailed),
    ];
  };
  const tenantCase: AlertCase = {
    name: `tenant acme at 20% errors, ${round6(tenant.value * 1.1)} times the fleet's ratio`,
    interval: tenantGrid.interval,
    inputs: tenantAgainstFleet(tenant.value * 1.1),
    evalTime: tenantGrid.after,
    expect: [{ labels: { job, [LABEL.TENANT]: 'acme' }, value: '20%' }],
  };
  specs.push({
    alert: 'McpTenantErrorRatioHigh',
    expr:
      `(${tenantRatio(`, ${SERVER_FAULT}`)} / ${tenantRatio('')})\n` +
      `> on (job) group_left\n  ${tenant.value} * (${fleetRatio(`, ${SERVER_FAULT}`)} / ${fleetRatio('')})\n` +
      `and (${tenantRatio(`, ${SERVER_FAULT}`)} / ${tenantRatio('')}) > ${TENANT_ERROR_FLOOR}\n` +
      `and ${tenantRatio('')} * ${seconds(tenant.window)} >= ${minRequests}`,
    for: tenant.for,
    evaluationInterval: tenantGrid.interval,
    severity: 'warning',
    priority: 'P3',
    summary: "One tenant's error ratio is far above the fleet's.",
    description: `Tenant {{ $labels.tenant_id }} of {{ $labels.job }} sees {{ $value | humanizePercentage }} server errors, more than ${tenant.value} times the fleet's ratio.`,
    dashboard: 'tenants',
    runbook: {
      meaning: `One tenant's server-owned error ratio is more than ${tenant.value}x the ratio across all tenants (and above ${pct(TENANT_ERROR_FLOOR)}%) for ${tenant.for}, among at least ${minRequests} of its requests in ${tenant.window}.`,
      impact: 'One customer has a broken experience while fleet-wide alerts stay quiet.',
      investigate: [
        'On the Tenants dashboard, select the tenant: which methods and tools fail, since when?',
        'Filter the logs by `tenant.id` and open a failing trace: tenant-specific data, quota or configuration?',
        'Check whether the tenant is rate-limited or out of quota (Tenants dashboard).',
      ],
      mitigate: ["Fix the tenant's data or configuration; contact the tenant if their requests are malformed."],
    },
    cases: [
      tenantCase,
      ...tenantGrid.boundary(tenantCase),
      {
        name: `tenant acme at ${humanizePercentage(above(TENANT_ERROR_FLOOR))} errors, just above the floor`,
        interval: tenantGrid.interval,
        inputs: nearFloor(above(TENANT_ERROR_FLOOR)),
        evalTime: tenantGrid.after,
        expect: [{ labels: { job, [LABEL.TENANT]: 'acme' }, value: humanizePercentage(above(TENANT_ERROR_FLOOR)) }],
      },
      {
        name: `tenant acme at ${humanizePercentage(below(TENANT_ERROR_FLOOR))} errors, just below the floor`,
        interval: tenantGrid.interval,
        inputs: nearFloor(below(TENANT_ERROR_FLOOR)),
        evalTime: tenantGrid.after,
        expect: [],
      },
      {
        name: `tenant acme at 20% errors, only ${below(tenant.value)} times the fleet's ratio`,
        interval: tenantGrid.interval,
        inputs: tenantAgainstFleet(below(tenant.value)),
        evalTime: tenantGrid.after,
        expect: [],
      },
      // Tenant acme at 20% errors beside a busy fleet at 0.1%, with few requests.
      ...guardCases(
        tenantGrid,
        tenant.window,
        (perStep) => [
          ...tenantSeries('acme', round6(perStep * 0.8), round6(perStep * 0.2)),
          ...tenantSeries('globex', 9990, 10),
        ],
        { labels: { job, [LABEL.TENANT]: 'acme' }, value: '20%' },
      ),
    ],
  });

  // --- saturation ---------------------------------------------------------------------------------------------
  const saturation = t.saturation;
  const saturationGrid = grid(saturation.window, saturation.for);
  const capacity = (alert: string, metric: string, limit: number, what: string, label: Record<string, string>) => {
    const firingValue = Math.min(limit, Math.ceil(limit * above(saturation.value)));
    const quietValue = Math.floor(limit * below(saturation.value));
    const firing: AlertCase = {
      name: `${what} at ${firingValue} of the limit of ${limit}`,
      interval: saturationGrid.interval,
      inputs: [gauge(metric, { ...base, ...label }, firingValue, saturationGrid.length)],
      evalTime: saturationGrid.after,
      expect: [{ labels: base, value: humanizePercentage(firingValue / limit) }],
    };
    specs.push({
      alert,
      // Averaged over the window: a burst of a few seconds is no saturation.
      expr: `sum by (job, instance) (avg_over_time(${metric}{${sel}}[${saturation.window}])) / ${limit} > ${saturation.value}`,
      for: saturation.for,
      evaluationInterval: saturationGrid.interval,
      severity: 'warning',
      priority: 'P3',
      summary: `An MCP server instance is close to its capacity in ${what}.`,
      description: `{{ $labels.instance }} of {{ $labels.job }} runs at {{ $value | humanizePercentage }} of its capacity of ${limit} ${what}.`,
      dashboard: 'runtime',
      runbook: {
        meaning: `${what} on one instance, averaged over ${saturation.window}, have been above ${pct(saturation.value)}% of the configured capacity (${limit}) for ${saturation.for}.`,
        impact: 'The instance is about to queue or reject work; latency rises first.',
        investigate: [
          `Check the ${what} trend on the Runtime dashboard: steady growth (load) or a step (stuck requests, leaked sessions)?`,
          'Check latency and event-loop lag: are requests slow to finish?',
          'Check the Tenants dashboard for one tenant driving the load.',
        ],
        mitigate: [
          'Scale out; rate-limit the heaviest tenant; if requests are stuck, restart the instance after draining.',
        ],
      },
      cases: [
        firing,
        ...saturationGrid.boundary(firing, 0),
        {
          name: `${what} just below ${pct(saturation.value)}% of the limit`,
          interval: saturationGrid.interval,
          inputs: [gauge(metric, { ...base, ...label }, quietValue, saturationGrid.length)],
          evalTime: saturationGrid.after,
          expect: [],
        },
      ],
    });
  };
  capacity('McpInFlightSaturation', METRICS.operationsInFlight.name, t.maxInFlight, 'requests in flight', {
    [LABEL.METHOD]: 'tools/call',
  });
  capacity('McpSessionsSaturation', METRICS.sessionsActive.name, t.maxSessions, 'open sessions', {
    [LABEL.TRANSPORT]: 'tcp',
  });

  // --- runtime ------------------------------------------------------------------------------------------------
  const cpu = t.cpu;
  const cpuGrid = grid(cpu.window, cpu.for);
  const cpuCase = (perStep: number): InputSeries[] => [
    counter(PROCESS_METRICS.cpuSeconds, base, perStep, cpuGrid.length),
  ];
  const cpuFiring: AlertCase = {
    name: `the process uses ${humanizePercentage(above(cpu.value))} of its cores`,
    interval: cpuGrid.interval,
    inputs: cpuCase(round6(above(cpu.value) * cpuGrid.step * t.cpuCores)),
    evalTime: cpuGrid.after,
    expect: [{ labels: base, value: humanizePercentage(above(cpu.value)) }],
  };
  specs.push({
    alert: 'McpHighCpu',
    expr: `rate(${PROCESS_METRICS.cpuSeconds}{${sel}}[${cpu.window}]) / ${t.cpuCores} > ${cpu.value}`,
    for: cpu.for,
    evaluationInterval: cpuGrid.interval,
    severity: 'warning',
    priority: 'P3',
    summary: 'An MCP server instance is CPU-bound.',
    description: `{{ $labels.instance }} of {{ $labels.job }} uses {{ $value | humanizePercentage }} of its ${t.cpuCores} CPU core(s).`,
    dashboard: 'runtime',
    runbook: {
      meaning: `The process has used more than ${pct(cpu.value)}% of its ${t.cpuCores} core(s) for ${cpu.for}. Node.js runs JavaScript on one thread: near 100% of one core, requests queue.`,
      impact: 'Latency rises across all tools; health checks may start to time out.',
      investigate: [
        'Compare request rate and CPU on the Runtime dashboard: more load, or more CPU per request?',
        'Check GC time and heap: memory pressure burns CPU in the garbage collector.',
        'Take a CPU profile (`node --cpu-prof`, or the inspector) of a busy instance.',
      ],
      mitigate: ['Scale out; roll back a change that made requests costlier; rate-limit heavy tenants.'],
    },
    cases: [
      cpuFiring,
      ...cpuGrid.boundary(cpuFiring, cpuGrid.rateActiveAt(above(cpu.value) / cpu.value)),
      {
        name: 'the process uses just below the threshold',
        interval: cpuGrid.interval,
        inputs: cpuCase(round6(below(cpu.value) * cpuGrid.step * t.cpuCores)),
        evalTime: cpuGrid.after,
        expect: [],
      },
    ],
  });

  const memory = t.memory;
  const memoryGrid = grid(memory.window, memory.for);
  const limit = t.memoryLimitBytes;
  const memoryCase = (ratio: number) => [
    gauge(PROCESS_METRICS.residentMemory, base, Math.round(limit * ratio), memoryGrid.length),
  ];
  const memoryFiring: AlertCase = {
    name: `resident memory at ${humanizePercentage(above(memory.value))} of the limit`,
    interval: memoryGrid.interval,
    inputs: memoryCase(above(memory.value)),
    evalTime: memoryGrid.after,
    expect: [{ labels: base, value: humanizePercentage(Math.round(limit * above(memory.value)) / limit) }],
  };
  specs.push({
    alert: 'McpHighMemory',
    expr: `avg_over_time(${PROCESS_METRICS.residentMemory}{${sel}}[${memory.window}]) / ${limit} > ${memory.value}`,
    for: memory.for,
    evaluationInterval: memoryGrid.interval,
    severity: 'warning',
    priority: 'P3',
    summary: 'An MCP server instance is close to its memory limit.',
    description: `{{ $labels.instance }} of {{ $labels.job }} uses {{ $value | humanizePercentage }} of its ${limit} bytes memory limit.`,
    dashboard: 'runtime',
    runbook: {
      meaning: `Resident memory, averaged over ${memory.window}, has been above ${pct(memory.value)}% of the configured limit (${limit} bytes) for ${memory.for}.`,
      impact: 'The instance risks being OOM-killed, dropping every in-flight request.',
      investigate: [
        'On the Runtime dashboard, compare heap used, external memory and RSS: a JS heap leak or native memory?',
        'Check whether memory grows with sessions or tenants (caches keyed by tenant, sessions never closed).',
        'Take a heap snapshot of a large instance.',
      ],
      mitigate: [
        'Restart instances on a schedule while the leak is fixed; raise the limit if the working set grew legitimately.',
      ],
    },
    cases: [
      memoryFiring,
      ...memoryGrid.boundary(memoryFiring, 0),
      {
        name: 'resident memory just below the threshold',
        interval: memoryGrid.interval,
        inputs: memoryCase(below(memory.value)),
        evalTime: memoryGrid.after,
        expect: [],
      },
    ],
  });

  const forecastHours = t.memoryForecastHours;
  const mib = 1024 * 1024;
  const growing = (mibPerMinute: number, startedAt = -3600) => [
    {
      series: `${PROCESS_METRICS.residentMemory}{job="${job}", instance="${INSTANCE}"}`,
      values: `${100 * mib}+${mibPerMinute * mib}x120`,
    },
    // by default started an hour before the test's time 0: old enough for its growth to be a trend
    gauge(PROCESS_METRICS.startTime, base, startedAt, 120),
  ];
  const ahead = forecastHours * 60;
  const limitMib = limit / mib;
  // What predict_linear says at minute t of a series growing `slope` MiB a minute from 100 MiB at 0.
  const forecastAt = (t: number, slope: number) => 100 + (t + ahead) * slope;
  // Slopes whose forecast at minute 75 is a tenth above and a tenth below the limit.
  const slopeFor = (share: number) =>
    Math.max(0.001, Math.round(((limitMib * share - 100) / (75 + ahead)) * 1000) / 1000);
  const fastSlope = slopeFor(1.1);
  const slowSlope = slopeFor(0.9);
  // The first minute the forecast passes the limit (predict_linear needs two samples).
  const forecastActive = Math.max(1, Math.floor((limitMib - 100) / fastSlope - ahead + 1e-9) + 1);
  const forecastEval = forecastActive + 15 + 5;
  const forecastFiring: AlertCase = {
    name: `memory growing ${fastSlope} MiB per minute`,
    interval: '1m',
    inputs: growing(fastSlope),
    evalTime: `${forecastEval}m`,
    expect: [{ labels: base, value: humanize1024(forecastAt(forecastEval, fastSlope) * mib) }],
  };
  // A process this many minutes old at the firing case's evaluation, in seconds of its start time.
  const agedAt = (minutesOld: number) => (forecastEval - minutesOld) * 60;
  specs.push({
    alert: 'McpMemoryExhaustionForecast',
    // A process younger than the window is still warming up: its start-up growth is no trend.
    expr:
      `predict_linear(${PROCESS_METRICS.residentMemory}{${sel}}[1h], ${forecastHours * 3600}) > ${limit}\n` +
      `and on (job, instance) time() - ${PROCESS_METRICS.startTime}{${sel}} > 3600`,
    for: '15m',
    severity: 'warning',
    priority: 'P3',
    summary: 'An MCP server instance will run out of memory soon.',
    description: `{{ $labels.instance }} of {{ $labels.job }} is forecast to use {{ $value | humanize1024 }}B within ${forecastHours} h, above its limit of ${limit} bytes.`,
    dashboard: 'runtime',
    runbook: {
      meaning: `At the growth rate of the last hour, resident memory will pass the limit within ${forecastHours} hours.`,
      impact: 'No impact yet: this is the warning before an OOM kill.',
      investigate: [
        'On the Runtime dashboard, find when growth started and what grew with it (sessions, tenants, a deployment).',
        'Take two heap snapshots some minutes apart and compare them.',
      ],
      mitigate: [
        'Plan a rolling restart before the forecast time; fix the leak; raise the limit if growth is expected.',
      ],
    },
    evaluationInterval: '1m',
    cases: [
      forecastFiring,
      // The forecast grows with the series: the boundary case states the value at its own time.
      ...grid('1h', '15m')
        .boundary(forecastFiring, forecastActive)
        .map((boundary) =>
          boundary.expect.length === 0
            ? boundary
            : {
                ...boundary,
                expect: [{ labels: base, value: humanize1024(forecastAt(forecastActive + 15, fastSlope) * mib) }],
              },
        ),
      {
        name: `memory growing ${slowSlope} MiB per minute`,
        interval: '1m',
        inputs: growing(slowSlope),
        evalTime: '75m',
        expect: [],
      },
      // The warm-up guard: older than an hour for the whole for: (76 minutes at least), and by a margin below and above.
      {
        ...forecastFiring,
        name: `${forecastFiring.name} in a process started 80 minutes ago`,
        inputs: growing(fastSlope, agedAt(80)),
      },
      {
        name: `memory growing ${fastSlope} MiB per minute in a process started 70 minutes ago, warm for only 10`,
        interval: '1m',
        inputs: growing(fastSlope, agedAt(70)),
        evalTime: `${forecastEval}m`,
        expect: [],
      },
    ],
  });

  const lag = t.eventLoopLagSeconds;
  const lagGrid = grid(lag.window, lag.for);
  const lagCase = (value: number) => [gauge(PROCESS_METRICS.eventLoopLagP99, base, value, lagGrid.length)];
  const lagFiring: AlertCase = {
    name: 'event-loop lag p99 a tenth above the threshold',
    interval: lagGrid.interval,
    inputs: lagCase(round6(lag.value * 1.1)),
    evalTime: lagGrid.after,
    expect: [{ labels: base, value: humanizeDuration(round6(lag.value * 1.1)) }],
  };
  specs.push({
    alert: 'McpEventLoopLag',
    expr: `max by (job, instance) (avg_over_time(${PROCESS_METRICS.eventLoopLagP99}{${sel}}[${lag.window}])) > ${lag.value}`,
    for: lag.for,
    evaluationInterval: lagGrid.interval,
    severity: 'warning',
    priority: 'P3',
    summary: "An MCP server instance's event loop is blocked.",
    description: `The p99 event-loop lag of {{ $labels.instance }} of {{ $labels.job }} is {{ $value | humanizeDuration }} (threshold ${lag.value} s).`,
    dashboard: 'runtime',
    runbook: {
      meaning: `The event loop's p99 lag has been above ${lag.value} s for ${lag.for}: something runs synchronously for long stretches.`,
      impact: 'Every request on the instance waits, including health checks; timeouts follow.',
      investigate: [
        'Correlate with CPU and GC on the Runtime dashboard: a GC storm, or CPU-bound work on the main thread?',
        'Find the slow tool on the Tools dashboard: large JSON serialisation, synchronous file or crypto work?',
        'Take a CPU profile to find the blocking function.',
      ],
      mitigate: ['Move heavy work off the main thread (worker threads) or chunk it; scale out meanwhile.'],
    },
    cases: [
      lagFiring,
      ...lagGrid.boundary(lagFiring, 0),
      {
        name: 'event-loop lag just below the threshold',
        interval: lagGrid.interval,
        inputs: lagCase(lag.value * 0.9),
        evalTime: lagGrid.after,
        expect: [],
      },
    ],
  });

  const restarts = t.restarts;
  /** A start time that changes `count` times, every `spacing` minutes. */
  const startTimes = (count: number, spacing: number) => {
    const values = Array.from({ length: count + 1 }, (_, i) => `${1000 * (i + 1)}x${spacing - 1}`).join(' ');
    return [{ series: `${PROCESS_METRICS.startTime}{job="${job}", instance="${INSTANCE}"}`, values }];
  };
  // Exactly the fewest restarts that fire: a threshold raised by a fifth no longer does. (A threshold lowered by a fifth
  // fires on no other whole number of restarts: no case can tell it.)
  const restartsFiring = Math.max(1, Math.ceil(restarts.value));
  const restartsQuiet = Math.ceil(restarts.value) - 1;
  // Restarts spread evenly so that all of them fall inside the window.
  const spacing = Math.max(2, Math.floor(seconds(restarts.window) / 60 / (restartsFiring + 2)));
  specs.push({
    alert: 'McpServerRestarting',
    expr: `changes(${PROCESS_METRICS.startTime}{${sel}}[${restarts.window}]) >= ${restarts.value}`,
    for: restarts.for,
    severity: 'warning',
    priority: 'P3',
    summary: 'An MCP server instance keeps restarting.',
    description: `{{ $labels.instance }} of {{ $labels.job }} restarted {{ $value }} times in the last ${restarts.window}.`,
    dashboard: 'runtime',
    runbook: {
      meaning: `The process start time changed at least ${restarts.value} times within ${restarts.window}: the instance crashes or is killed repeatedly.`,
      impact: 'In-flight requests and sessions are lost at each restart; clients reconnect and retry.',
      investigate: [
        "Read the last lines the process wrote before each restart, and the orchestrator's exit reason (OOM, liveness probe).",
        'Check memory against the limit on the Runtime dashboard: OOM kills look like restarts.',
        'Check whether a liveness probe times out under load (event-loop lag).',
      ],
      mitigate: [
        'Roll back the last deployment; raise the memory limit or fix the leak; relax a liveness probe that kills a busy instance.',
      ],
    },
    cases: [
      {
        name: `${restartsFiring} restarts within the window`,
        interval: '1m',
        inputs: startTimes(restartsFiring, spacing),
        evalTime: `${spacing * (restartsFiring + 1) - 1}m`,
        expect: [{ labels: base, value: String(restartsFiring) }],
      },
      {
        name: `${restartsQuiet} restarts within the window`,
        interval: '1m',
        inputs: startTimes(restartsQuiet, spacing),
        evalTime: `${spacing * (restartsQuiet + 1) - 1}m`,
        expect: [],
      },
    ],
  });

  // --- dependencies and security ------------------------------------------------------------------------------
  const { breakerOpenFor } = model.detection;
  const breakerGrid = grid(breakerOpenFor, breakerOpenFor);
  // One series per state, 1 for the current one, as the library reports a breaker.
  const breaker = (current: (typeof CIRCUIT_STATES)[number]) =>
    CIRCUIT_STATES.map((state) =>
      gauge(
        METRICS.circuitBreakerState.name,
        { ...base, [LABEL.DEPENDENCY]: 'compliance-api', [LABEL.STATE]: state },
        +(state === current),
        breakerGrid.length,
      ),
    );
  const breakerLabels = { ...base, [LABEL.DEPENDENCY]: 'compliance-api' };
  const breakerOpen: AlertCase = {
    name: 'the breaker is open',
    interval: breakerGrid.interval,
    inputs: breaker('open'),
    evalTime: breakerGrid.after,
    expect: [{ labels: breakerLabels, value: '1' }],
  };
  specs.push({
    alert: 'McpCircuitBreakerOpen',
    evaluationInterval: breakerGrid.interval,
    // Half-open counts as open: its probe of a dependency that is still down may take long enough to be scraped, and
    // that one scrape must not reset the for: (seen in the dependency-outage drill: fired, resolved, never delivered).
    expr: `max by (job, instance, ${LABEL.DEPENDENCY}) (${METRICS.circuitBreakerState.name}{${sel}, ${LABEL.STATE}!="closed"}) == 1`,
    for: breakerOpenFor,
    severity: 'warning',
    priority: 'P2',
    summary: 'A circuit breaker in front of a dependency is open.',
    description:
      'The circuit breaker of {{ $labels.instance }} in front of {{ $labels.dependency }} is open: calls fail fast.',
    dashboard: 'dependencies',
    runbook: {
      meaning:
        'The dependency failed often enough that the server stopped calling it; calls that need it fail immediately.',
      impact: 'Tools that depend on it return errors (counted as tool errors) until the breaker closes again.',
      investigate: [
        "Check the dependency's own health and status page.",
        'Check the error logs of the tools that call it, and traces of the last calls before the breaker opened.',
        'Check whether the breaker flaps (open / half_open / closed) on the Dependencies dashboard.',
      ],
      mitigate: [
        'Restore the dependency or fail over to a replica; the breaker closes by itself after a successful probe.',
      ],
    },
    cases: [
      breakerOpen,
      ...breakerGrid.boundary(breakerOpen, 0),
      {
        ...breakerOpen,
        name: 'the breaker is half-open: its probe of the dependency has not come back',
        inputs: breaker('half_open'),
      },
      {
        name: 'the breaker is closed',
        interval: breakerGrid.interval,
        inputs: breaker('closed'),
        evalTime: breakerGrid.after,
        expect: [],
      },
    ],
  });

  const auth = t.authFailures;
  const authGrid = grid(auth.window, auth.for);
  const authCase = (perStep: number) => [
    counter(METRICS.authFailures.name, { ...base, [LABEL.REASON]: 'invalid_token' }, perStep, authGrid.length),
  ];
  const authFiring: AlertCase = {
    name: 'authentication failures a tenth above the threshold',
    interval: authGrid.interval,
    inputs: authCase(round6(auth.value * 1.1 * authGrid.step)),
    evalTime: authGrid.after,
    expect: [{ labels: { job }, value: humanize(round6(auth.value * 1.1)) }],
  };
  specs.push({
    alert: 'McpAuthFailureSpike',
    expr: `sum by (job) (rate(${METRICS.authFailures.name}{${sel}}[${auth.window}])) > ${auth.value}`,
    for: auth.for,
    evaluationInterval: authGrid.interval,
    severity: 'warning',
    priority: 'P2',
    summary: 'Many requests fail authentication.',
    description: `{{ $labels.job }} rejects {{ $value | humanize }} requests per second for failed authentication (threshold ${auth.value}/s).`,
    dashboard: 'dependencies',
    runbook: {
      meaning: `More than ${auth.value} requests per second have been rejected by authentication or authorization for ${auth.for}.`,
      impact:
        'Either legitimate clients lost access (expired keys, a broken identity provider) or someone probes the server.',
      investigate: [
        'Split failures by reason on the Dependencies & security dashboard: expired tokens, invalid tokens, missing scopes?',
        'Check the identity provider and key rotation; check whether one client or address produces most failures.',
      ],
      mitigate: [
        'Restore the identity provider or rotate keys for legitimate clients; block abusive sources at the edge.',
      ],
    },
    cases: [
      authFiring,
      ...authGrid.boundary(authFiring, authGrid.rateActiveAt(1.1)),
      {
        name: 'authentication failures just below the threshold',
        interval: authGrid.interval,
        inputs: authCase(auth.value * 0.9 * authGrid.step),
        evalTime: authGrid.after,
        expect: [],
      },
    ],
  });

  // Attempts are the requests that passed authentication plus those it rejected.
  const authSuccess = t.authSuccess;
  const authSuccessGrid = grid(authSuccess.window, authSuccess.for);
  const AUTH_FLOOR = 5;
  const authSuccessSteps = seconds(authSuccess.window) / authSuccessGrid.step;
  const attempts = (okPerStep: number, failedPerStep: number) => [
    ...requests(okPerStep, 0, 0, authSuccessGrid.length),
    counter(
      METRICS.authFailures.name,
      { ...base, [LABEL.REASON]: 'invalid_token' },
      failedPerStep,
      authSuccessGrid.length,
    ),
  ];
  const failing = round6((1 - authSuccess.value) * 1.1);
  const passing = round6((1 - authSuccess.value) * 0.9);
  const authLow: AlertCase = {
    name: `${humanizePercentage(1 - failing)} of authentication attempts succeed`,
    interval: authSuccessGrid.interval,
    inputs: attempts(round6(PER_STEP * (1 - failing)), round6(PER_STEP * failing)),
    evalTime: authSuccessGrid.after,
    expect: [{ labels: { job }, value: humanizePercentage(round6(1 - failing)) }],
  };
  const authFailed = `sum by (job) (rate(${METRICS.authFailures.name}{${sel}}[${authSuccess.window}]))`;
  specs.push({
    alert: 'McpAuthSuccessLow',
    expr:
      `sum by (job) (${durations.rate(sel, `[${authSuccess.window}]`)})\n` +
      `  / (sum by (job) (${durations.rate(sel, `[${authSuccess.window}]`)}) + ${authFailed})\n< ${authSuccess.value}\n` +
      // A few failed logins among little traffic are no trend.
      `and sum by (job) (increase(${METRICS.authFailures.name}{${sel}}[${authSuccess.window}])) >= ${AUTH_FLOOR}`,
    for: authSuccess.for,
    evaluationInterval: authSuccessGrid.interval,
    severity: 'warning',
    priority: 'P2',
    summary: 'Too few authentication attempts succeed.',
    description: `Only {{ $value | humanizePercentage }} of the authentication attempts of {{ $labels.job }} succeeded over the last ${authSuccess.window} (threshold ${pct(authSuccess.value)}%).`,
    dashboard: 'dependencies',
    runbook: {
      meaning: `Fewer than ${pct(authSuccess.value)}% of authentication attempts (requests that passed it, and those it rejected) succeeded for ${authSuccess.for}, with at least ${AUTH_FLOOR} failures in ${authSuccess.window}.`,
      impact:
        'Legitimate clients may be locked out (expired keys, a broken identity provider), or someone guesses credentials.',
      investigate: [
        'Split failures by reason on the Dependencies & security dashboard: expired tokens, invalid tokens, missing scopes?',
        'Check the identity provider, its keys and clock; check a recent key rotation or a client release.',
      ],
      mitigate: [
        'Restore the identity provider or the keys; tell the affected clients; block abusive sources at the edge.',
      ],
    },
    cases: [
      authLow,
      ...authSuccessGrid.boundary(authLow),
      {
        name: `${humanizePercentage(1 - passing)} of authentication attempts succeed`,
        interval: authSuccessGrid.interval,
        inputs: attempts(round6(PER_STEP * (1 - passing)), round6(PER_STEP * passing)),
        evalTime: authSuccessGrid.after,
        expect: [],
      },
      // Little traffic (one good request a step): the failures alone decide, a tenth either side of the floor.
      {
        name: `little traffic, ${round6(AUTH_FLOOR * 0.9)} failures in the window: under the floor of ${AUTH_FLOOR}`,
        interval: authSuccessGrid.interval,
        inputs: attempts(1, round6((AUTH_FLOOR * 0.9) / authSuccessSteps)),
        evalTime: authSuccessGrid.after,
        expect: [],
      },
      {
        name: `little traffic, ${round6(AUTH_FLOOR * 1.1)} failures in the window: over the floor`,
        interval: authSuccessGrid.interval,
        inputs: attempts(1, round6((AUTH_FLOOR * 1.1) / authSuccessSteps)),
        evalTime: authSuccessGrid.after,
        expect: [
          {
            labels: { job },
            value: humanizePercentage(1 / (1 + round6((AUTH_FLOOR * 1.1) / authSuccessSteps))),
          },
        ],
      },
    ],
  });

  // The operations guides page on any sign of a breach, at once: no threshold, no `for:`.
  const breachLabels = { job, [LABEL.INDICATOR]: 'token_misuse' };
  /** The indicator counter scraped every 15 s: zero, then one event after `quietSteps` scrapes. */
  const breachSeries = (quietSteps: number | undefined) => [
    {
      ...counter(METRICS.securityIndicators.name, { ...base, [LABEL.INDICATOR]: 'token_misuse' }, 0, 0),
      values: quietSteps === undefined ? '0x80' : `0x${quietSteps} 1x${80 - quietSteps}`,
    },
  ];
  specs.push({
    alert: 'McpSecurityBreachIndicator',
    expr: `sum by (job, ${LABEL.INDICATOR}) (increase(${METRICS.securityIndicators.name}{${sel}}[1m])) > 0`,
    for: '0s',
    severity: 'critical',
    priority: 'P1',
    summary: 'An MCP server detected a sign of a security breach.',
    description: '{{ $labels.job }} reported a {{ $labels.indicator }} indicator within the last minute.',
    dashboard: 'dependencies',
    runbook: {
      meaning:
        'The application reported a sign of a breach (token misuse, privilege escalation, data exfiltration, a prompt injection caught, tampering) within the last minute.',
      impact:
        'Possibly an attacker with access to tools, tenants or data: treat it as a security incident until shown otherwise.',
      investigate: [
        "Find the events in the server's logs and traces around the alert's start: which tenant, client, token and tool?",
        'Check the authentication failures and rate limits on the Dependencies & security dashboard for a probe before it.',
        'Preserve evidence: keep logs and traces (raise retention or export them) before anything restarts.',
      ],
      mitigate: [
        'Revoke the tokens or keys involved and isolate the tenant or client; disable the affected tool if needed.',
        'Escalate to the security team and follow the incident-response plan; communicate as it requires.',
      ],
    },
    cases: [
      // The event is scraped at 5m15s; rules evaluate every minute here: the next evaluation fires, no `for:` to wait.
      {
        name: 'one token misuse, at the next evaluation',
        interval: '15s',
        inputs: breachSeries(20),
        evalTime: '6m',
        expect: [{ labels: breachLabels, value: '1' }],
      },
      { name: 'the evaluation before it', interval: '15s', inputs: breachSeries(20), evalTime: '5m', expect: [] },
      { name: 'no indicator reported', interval: '15s', inputs: breachSeries(undefined), evalTime: '10m', expect: [] },
      { name: 'the event of minutes ago', interval: '15s', inputs: breachSeries(20), evalTime: '8m', expect: [] },
    ],
  });

  const cache = t.cacheHitRatio;
  const cacheGrid = grid(cache.window, cache.for);
  const cacheSeries = (hits: number, misses: number) => [
    counter(
      METRICS.cacheRequests.name,
      { ...base, [LABEL.CACHE]: 'search', [LABEL.RESULT]: 'hit' },
      hits,
      cacheGrid.length,
    ),
    counter(
      METRICS.cacheRequests.name,
      { ...base, [LABEL.CACHE]: 'search', [LABEL.RESULT]: 'miss' },
      misses,
      cacheGrid.length,
    ),
  ];
  const cacheHits = Math.round(cache.value * 100) - 10;
  const cacheFiring: AlertCase = {
    name: `cache hit ratio at ${cacheHits}%`,
    interval: cacheGrid.interval,
    inputs: cacheSeries(cacheHits, 100 - cacheHits),
    evalTime: cacheGrid.after,
    expect: [{ labels: { job, [LABEL.CACHE]: 'search' }, value: `${cacheHits}%` }],
  };
  specs.push({
    alert: 'McpLowCacheHitRatio',
    expr:
      `sum by (job, ${LABEL.CACHE}) (rate(${METRICS.cacheRequests.name}{${sel}, ${LABEL.RESULT}="hit"}[${cache.window}]))\n` +
      `  / sum by (job, ${LABEL.CACHE}) (rate(${METRICS.cacheRequests.name}{${sel}}[${cache.window}]))\n< ${cache.value}`,
    for: cache.for,
    evaluationInterval: cacheGrid.interval,
    severity: 'info',
    priority: 'P4',
    summary: 'A cache serves too few hits.',
    description: `Cache {{ $labels.cache }} of {{ $labels.job }} hits {{ $value | humanizePercentage }} of lookups (threshold ${pct(cache.value)}%).`,
    dashboard: 'dependencies',
    runbook: {
      meaning: `The hit ratio of one cache has been below ${pct(cache.value)}% for ${cache.for}.`,
      impact: 'More requests reach the slower backend: latency and backend load rise.',
      investigate: [
        'Check for a recent flush or restart (a cold cache warms up by itself).',
        'Check whether the key space grew (new tenants, new documents) past the cache size, or TTLs were shortened.',
      ],
      mitigate: ['Warm the cache; size it to the working set; restore TTLs.'],
    },
    cases: [
      cacheFiring,
      ...cacheGrid.boundary(cacheFiring),
      {
        name: 'cache hit ratio just above the threshold',
        interval: cacheGrid.interval,
        inputs: cacheSeries(Math.round(cache.value * 100) + 1, 99 - Math.round(cache.value * 100)),
        evalTime: cacheGrid.after,
        expect: [],
      },
    ],
  });

  const limited = t.rateLimited;
  const limitedGrid = grid(limited.window, limited.for);
  const limitedCase = (perStep: number) => [
    counter(METRICS.rateLimited.name, { ...base, [LABEL.TENANT]: 'acme' }, perStep, limitedGrid.length),
  ];
  const limitedFiring: AlertCase = {
    name: 'tenant acme rate-limited a tenth above the threshold',
    interval: limitedGrid.interval,
    inputs: limitedCase(round6(limited.value * 1.1 * limitedGrid.step)),
    evalTime: limitedGrid.after,
    expect: [{ labels: { job, [LABEL.TENANT]: 'acme' }, value: humanize(round6(limited.value * 1.1)) }],
  };
  specs.push({
    alert: 'McpTenantRateLimited',
    expr: `sum by (job, ${LABEL.TENANT}) (rate(${METRICS.rateLimited.name}{${sel}}[${limited.window}])) > ${limited.value}`,
    for: limited.for,
    evaluationInterval: limitedGrid.interval,
    severity: 'info',
    priority: 'P4',
    summary: 'A tenant is being rate-limited.',
    description: `Tenant {{ $labels.tenant_id }} of {{ $labels.job }} hits its rate limit {{ $value | humanize }} times per second.`,
    dashboard: 'tenants',
    runbook: {
      meaning: `Requests of one tenant have been rejected by its rate limit more than ${limited.value} times per second for ${limited.for}.`,
      impact: "The tenant's agents see rejected calls; the rest of the fleet is protected.",
      investigate: [
        "Check the tenant's request rate and quota on the Tenants dashboard: organic growth or a runaway agent loop?",
        'Read the audit log of the tenant: the same tool called in a tight loop points at an agent bug.',
      ],
      mitigate: ['Contact the tenant; raise its limit if the growth is legitimate.'],
    },
    cases: [
      limitedFiring,
      ...limitedGrid.boundary(limitedFiring, limitedGrid.rateActiveAt(1.1)),
      {
        name: 'rate limiting just below the threshold',
        interval: limitedGrid.interval,
        inputs: limitedCase(limited.value * 0.9 * limitedGrid.step),
        evalTime: limitedGrid.after,
        expect: [],
      },
    ],
  });

  const quota = t.quotaRemaining;
  const quotaGrid = grid(quota.window, quota.for);
  const quotaLabels = { job, [LABEL.TENANT]: 'acme', [LABEL.QUOTA]: 'tool_calls' };
  const quotaCase = (left: number) => [
    gauge(METRICS.tenantQuotaRemaining.name, { ...base, ...quotaLabels }, left, quotaGrid.length),
  ];
  const quotaLow: AlertCase = {
    name: `tenant acme with ${humanizePercentage(below(quota.value))} of its quota left`,
    interval: quotaGrid.interval,
    inputs: quotaCase(below(quota.value)),
    evalTime: quotaGrid.after,
    expect: [{ labels: quotaLabels, value: humanizePercentage(below(quota.value)) }],
  };
  specs.push({
    alert: 'McpTenantQuotaLow',
    expr: `max by (job, ${LABEL.TENANT}, ${LABEL.QUOTA}) (max_over_time(${METRICS.tenantQuotaRemaining.name}{${sel}}[${quota.window}])) < ${quota.value}`,
    for: quota.for,
    evaluationInterval: quotaGrid.interval,
    severity: 'info',
    priority: 'P4',
    summary: 'A tenant has almost used up a quota.',
    description: `Tenant {{ $labels.tenant_id }} of {{ $labels.job }} has {{ $value | humanizePercentage }} of its {{ $labels.quota }} quota left (threshold ${pct(quota.value)}%).`,
    dashboard: 'tenants',
    runbook: {
      meaning: `Less than ${pct(quota.value)}% of one tenant's quota has been left for all of the last ${quota.window}; once it is spent, the tenant's calls are rejected (quota_exceeded, a client fault).`,
      impact: 'Soon the tenant gets quota errors on every call until the quota resets or is raised.',
      investigate: [
        "On the Tenants dashboard, check the tenant's traffic: steady growth, or a burst (a runaway agent loop)?",
        "Check the tenant's plan and when the quota resets.",
      ],
      mitigate: [
        'Tell the tenant before they hit the limit; raise the quota if their plan allows; throttle a runaway client.',
      ],
    },
    cases: [
      quotaLow,
      ...quotaGrid.boundary(quotaLow, 0),
      {
        name: `tenant acme with ${humanizePercentage(above(quota.value))} of its quota left`,
        interval: quotaGrid.interval,
        inputs: quotaCase(above(quota.value)),
        evalTime: quotaGrid.after,
        expect: [],
      },
    ],
  });

  // --- resource pools and queues the application reports -----------------------------------------------------
  const backlog = (
    alert: string,
    metric: string,
    threshold: ThresholdConfig,
    label: string,
    name: string,
    show: (value: number) => string,
    /** The level of the firing case, a tenth above the threshold (for a ratio, halfway to 1 when nearer). */
    firingLevel: number,
    text: {
      /** The alert's description, of `{{ $value }}` (the average over the window). */
      description: string;
      /** What the runbook says stayed above the threshold. */
      subject: string;
      summary: string;
      impact: string;
      investigate: string[];
      mitigate: string[];
    },
  ) => {
    const labels = { job, [label]: name };
    const backlogGrid = grid(threshold.window, threshold.for);
    const level = (value: number) => [gauge(metric, { ...base, [label]: name }, value, backlogGrid.length)];
    const firing: AlertCase = {
      name: `${name} at ${show(firingLevel)}, a tenth above the threshold`,
      interval: backlogGrid.interval,
      inputs: level(firingLevel),
      evalTime: backlogGrid.after,
      expect: [{ labels, value: show(firingLevel) }],
    };
    specs.push({
      alert,
      // Averaged over the window: a pool full for a few seconds, a queue that drains at once, is no backlog.
      expr: `max by (job, ${label}) (avg_over_time(${metric}{${sel}}[${threshold.window}])) > ${threshold.value}`,
      for: threshold.for,
      evaluationInterval: backlogGrid.interval,
      severity: 'warning',
      priority: 'P3',
      summary: text.summary,
      description: `${text.description} (threshold ${show(threshold.value)}).`,
      dashboard: 'dependencies',
      runbook: {
        meaning: `${text.subject}, averaged over ${threshold.window}, has been above ${show(threshold.value)} for ${threshold.for}.`,
        impact: text.impact,
        investigate: text.investigate,
        mitigate: text.mitigate,
      },
      cases: [
        firing,
        ...backlogGrid.boundary(firing, 0),
        {
          name: `${name} at ${show(below(threshold.value))}, a tenth below the threshold`,
          interval: backlogGrid.interval,
          inputs: level(below(threshold.value)),
          evalTime: backlogGrid.after,
          expect: [],
        },
      ],
    });
  };
  const { poolUsage, queueDepth } = t;
  backlog(
    'McpPoolSaturated',
    METRICS.poolUsage.name,
    poolUsage,
    LABEL.POOL,
    'db',
    humanizePercentage,
    above(poolUsage.value),
    {
      description:
        'Pool {{ $labels.pool }} of {{ $labels.job }} has {{ $value | humanizePercentage }} of its members in use',
      subject: 'The share of one pool in use',
      summary: 'A resource pool of an MCP server is nearly exhausted.',
      impact: 'Requests wait for a connection or a worker: latency rises, then requests time out.',
      investigate: [
        "Check the pool's backend (database, upstream API) for slow queries or latency: held connections fill a pool.",
        'Check for leaks: usage that grows and never falls back while traffic is flat.',
        'Check traffic per tenant on the Tenants dashboard: one tenant can hold most of a pool.',
      ],
      mitigate: ['Fix the slow backend or the leak; raise the pool size within what the backend accepts; scale out.'],
    },
  );
  backlog(
    'McpQueueBacklog',
    METRICS.queueDepth.name,
    queueDepth,
    LABEL.QUEUE,
    'indexing',
    humanize,
    round6(queueDepth.value * 1.1),
    {
      description: 'Queue {{ $labels.queue }} of {{ $labels.job }} holds {{ $value | humanize }} items on average',
      subject: 'The number of items waiting in one queue',
      summary: 'Work piles up in an application queue of an MCP server.',
      impact: 'Background work (indexing, notifications, exports) lags; results the tools return go stale.',
      investigate: [
        "Check the queue's consumers: are they running, and how fast do they finish an item?",
        'Check for a burst of producers (a bulk import, one tenant) against a steady consumer rate.',
      ],
      mitigate: ['Add consumers or speed them up; throttle the producers; drop or defer work that can wait.'],
    },
  );

  // --- backups the application reports: every daily one must succeed, and a failure be known within the hour ---
  const backupLabels = { job, [LABEL.BACKUP]: 'documents' };
  const backupRuns = (result: 'success' | 'failure', values: string): InputSeries => ({
    series: `${METRICS.backups.name}{job="${job}", instance="${INSTANCE}", ${LABEL.BACKUP}="documents", ${LABEL.RESULT}="${result}"}`,
    values,
  });
  // A failure at minute 91, after more than an hour of runs, so that the hour's increase is exactly one.
  const failedAt91 = [backupRuns('success', '0+1x150'), backupRuns('failure', '0x90 1x60')];
  specs.push({
    alert: 'McpBackupFailed',
    expr: `sum by (job, ${LABEL.BACKUP}) (increase(${METRICS.backups.name}{${sel}, ${LABEL.RESULT}="failure"}[1h])) > 0`,
    for: '0s',
    severity: 'warning',
    priority: 'P2',
    summary: 'A backup of an MCP server failed.',
    description: 'Backup {{ $labels.backup }} of {{ $labels.job }} failed {{ $value }} times within the last hour.',
    dashboard: 'dependencies',
    runbook: {
      meaning: 'A run of one backup the application reports ended in failure within the last hour.',
      impact: 'No user impact yet: until a run succeeds, the data written since the last good backup is unprotected.',
      investigate: [
        "Read the application's logs around the failed run: the target storage, its credentials and free space.",
        'On the Dependencies & security dashboard, check when the backup last succeeded and whether it fails every run.',
      ],
      mitigate: ['Fix the cause and run the backup again by hand; keep the last good backup until a new one succeeds.'],
    },
    cases: [
      {
        name: 'one failed run, at the next evaluation',
        interval: '1m',
        inputs: failedAt91,
        evalTime: '91m',
        expect: [{ labels: backupLabels, value: '1' }],
      },
      { name: 'the evaluation before it', interval: '1m', inputs: failedAt91, evalTime: '90m', expect: [] },
      {
        name: 'the failure of more than an hour ago',
        interval: '1m',
        inputs: failedAt91,
        evalTime: '152m',
        expect: [],
      },
      {
        name: 'every run succeeds',
        interval: '1m',
        inputs: [backupRuns('success', '0+1x150'), backupRuns('failure', '0x150')],
        evalTime: '120m',
        expect: [],
      },
    ],
  });

  const maxAge = t.backupMaxAgeHours * 3600;
  // promtool's clock starts at 0: a success `age` seconds before minute 10 is a negative timestamp.
  const lastSuccess = (age: number) =>
    gauge(METRICS.backupLastSuccess.name, { ...base, [LABEL.BACKUP]: 'documents' }, 600 - age, 20);
  specs.push({
    alert: 'McpBackupStale',
    expr: `time() - max by (job, ${LABEL.BACKUP}) (${METRICS.backupLastSuccess.name}{${sel}}) > ${maxAge}`,
    for: '0s',
    severity: 'warning',
    priority: 'P2',
    summary: 'A backup of an MCP server has not succeeded for too long.',
    description: `Backup {{ $labels.backup }} of {{ $labels.job }} last succeeded {{ $value | humanizeDuration }} ago (threshold ${t.backupMaxAgeHours} h).`,
    dashboard: 'dependencies',
    runbook: {
      meaning: `One backup the application reports has not succeeded for more than ${t.backupMaxAgeHours} hours: a daily run was missed or keeps failing.`,
      impact: 'No user impact yet: the data written since the last good backup is unprotected.',
      investigate: [
        'Check that the backup still runs at all (its scheduler, the process that runs it) and whether its runs fail (McpBackupFailed).',
        'On the Dependencies & security dashboard, find when it last succeeded.',
      ],
      mitigate: ['Run the backup by hand once the cause is fixed; restore its schedule.'],
    },
    cases: [
      {
        name: `last success ${humanizeDuration(round6(maxAge * 1.1))} ago`,
        interval: '1m',
        inputs: [lastSuccess(round6(maxAge * 1.1))],
        evalTime: '10m',
        expect: [{ labels: backupLabels, value: humanizeDuration(round6(maxAge * 1.1)) }],
      },
      {
        name: `last success ${humanizeDuration(round6(maxAge * 0.9))} ago`,
        interval: '1m',
        inputs: [lastSuccess(round6(maxAge * 0.9))],
        evalTime: '10m',
        expect: [],
      },
    ],
  });

  // --- the telemetry itself -----------------------------------------------------------------------------------
  const dropped = model.detection.telemetryDropped;
  const droppedGrid = grid(dropped.window, dropped.for);
  const droppedCase = (perStep: number) => [
    counter(
      METRICS.telemetryDropped.name,
      { ...base, [LABEL.SIGNAL]: 'span', [LABEL.REASON]: 'export_failed' },
      perStep,
      droppedGrid.length,
    ),
  ];
  const droppedLabels = { ...base, [LABEL.SIGNAL]: 'span', [LABEL.REASON]: 'export_failed' };
  const droppedFiring: AlertCase = {
    name: 'spans dropped for export failures',
    interval: droppedGrid.interval,
    inputs: droppedCase(0.1 * droppedGrid.step),
    evalTime: droppedGrid.after,
    expect: [{ labels: droppedLabels, value: humanize(0.1) }],
  };
  specs.push({
    alert: 'McpTelemetryDropped',
    expr: `sum by (job, instance, ${LABEL.SIGNAL}, ${LABEL.REASON}) (rate(${METRICS.telemetryDropped.name}{${sel}}[${dropped.window}])) > 0`,
    for: dropped.for,
    evaluationInterval: droppedGrid.interval,
    severity: 'warning',
    priority: 'P3',
    summary: 'An MCP server is losing telemetry.',
    description:
      '{{ $labels.instance }} of {{ $labels.job }} drops {{ $value | humanize }} {{ $labels.signal }} items per second ({{ $labels.reason }}).',
    dashboard: 'runtime',
    runbook: {
      meaning:
        'mcp-observatory could not deliver spans or log records (the collector is down or slow, or the export queue is full), or a metric could not be recorded.',
      impact: 'No user impact: requests are served. Traces and logs have gaps, so the next investigation is harder.',
      investigate: [
        'Check the reason label: `export_failed` points at the collector; `queue_full` at too much telemetry for the export rate.',
        "Check the collector's health endpoint and its own metrics (refused or dropped items).",
      ],
      mitigate: [
        'Restore the collector; raise OTEL_BSP_MAX_QUEUE_SIZE or lower the sampling rate if the queue is too small.',
      ],
    },
    cases: [
      droppedFiring,
      ...droppedGrid.boundary(droppedFiring),
      {
        name: 'nothing dropped',
        interval: droppedGrid.interval,
        inputs: droppedCase(0),
        evalTime: droppedGrid.after,
        expect: [],
      },
    ],
  });

  // --- anomalies against history ------------------------------------------------------------------------------
  const drop = t.trafficDrop;
  const week = 7 * 24 * 12; // five-minute steps in a week
  // 10 requests/s for a week, then `perSecond` for the last 100 minutes.
  const traffic = (perSecond: number) => [
    {
      series: `${REQUESTS}{job="${job}", instance="${INSTANCE}", ${LABEL.METHOD}="tools/call", ${LABEL.TOOL}="search", ${LABEL.ERROR_TYPE}="", ${LABEL.TRANSPORT}="tcp"}`,
      values: `0+3000x${week} ${3000 * week}+${perSecond * 300}x20`,
    },
  ];
  const dropWhen = `${week * 5 + 100}m`;
  const lowRate = Math.round(drop.value * 10 * 0.5 * 100) / 100;
  const okRate = Math.round(drop.value * 10 * 1.2 * 100) / 100;
  specs.push({
    alert: 'McpTrafficDrop',
    expr:
      `sum by (job) (${durations.rate(sel, `[${drop.window}]`)})\n` +
      `  < ${drop.value} * sum by (job) (${durations.rate(sel, `[${drop.window}] offset 1w`)})\n` +
      `and sum by (job) (${durations.rate(sel, `[${drop.window}] offset 1w`)}) > 0.1`,
    for: drop.for,
    severity: 'warning',
    priority: 'P2',
    summary: 'Traffic dropped far below last week at the same time.',
    description: `{{ $labels.job }} receives {{ $value | humanize }} requests per second, under ${pct(drop.value)}% of last week's rate at this time.`,
    dashboard: 'overview',
    runbook: {
      meaning: `The request rate is below ${pct(drop.value)}% of the rate at the same time one week ago (which was above 0.1/s), for ${drop.for}.`,
      impact:
        'Clients cannot reach the server (DNS, gateway, auth) or stopped calling it: a silent outage that error alerts miss.',
      investigate: [
        'Check the path in front of the server: load balancer, gateway, DNS, certificates.',
        'Check authentication failures: clients with expired credentials stop getting through.',
        'Ask whether a client application was turned off or changed (a release, a holiday).',
      ],
      mitigate: ['Restore the broken path; if the drop is expected (a holiday), silence the alert for its duration.'],
    },
    evaluationInterval: '15m',
    cases: [
      {
        name: `traffic fell from 10/s to ${lowRate}/s`,
        interval: '5m',
        inputs: traffic(lowRate),
        evalTime: dropWhen,
        expect: [{ labels: { job }, value: humanize(lowRate) }],
      },
      {
        name: `traffic fell from 10/s to ${okRate}/s, above the threshold`,
        interval: '5m',
        inputs: traffic(okRate),
        evalTime: dropWhen,
        expect: [],
      },
    ],
  });

  const baseline = t.latencyBaseline;
  const p95Record = `${RECORD.quantile('job')}{${sel}, quantile="0.95"}`;
  // A week at p95 0.195 s (all requests in the 0.1–0.2 s bucket), then an hour at another distribution.
  const regression = (recent: Record<number, number>) =>
    histogram(METRICS.serverOperationDuration.name, request({}), {}, 0, false).map((bucketSeries, i) => {
      const before = i >= bucketIndex(0.2) ? 60 : 0;
      let after = 0;
      for (const [index, count] of Object.entries(recent)) if (i >= Number(index)) after += count;
      return { series: bucketSeries.series, values: `0+${before}x${week} ${before * week}+${after}x12` };
    });
  // The recent p95, averaged over the configured window, against the week's.
  const recent = `avg_over_time(${p95Record}[${baseline.window}])`;
  specs.push({
    alert: 'McpLatencyAboveBaseline',
    expr:
      `${recent}\n  > ${baseline.value} * avg_over_time(${p95Record}[7d])\n` +
      `and ${recent}\n  > avg_over_time(${p95Record}[7d]) + 3 * stddev_over_time(${p95Record}[7d])`,
    for: baseline.for,
    severity: 'info',
    priority: 'P4',
    summary: 'Latency is far above its weekly baseline.',
    description: `The p95 latency of {{ $labels.job }} is {{ $value | humanizeDuration }}, above ${baseline.value}x its 7-day mean and 3 standard deviations above it.`,
    dashboard: 'overview',
    runbook: {
      meaning: `p95 latency is more than ${baseline.value}x its 7-day mean and more than 3 standard deviations above it, for ${baseline.for}: a regression, even if below the absolute latency threshold.`,
      impact: 'Slower agents; often the first sign of a regression or a degrading dependency.',
      investigate: [
        'Find when it changed on the Overview dashboard and match it with deployments and dependency changes.',
        'Compare per-tool p95 on the Tools dashboard to find the tool that regressed.',
      ],
      mitigate: ['Roll back the change that regressed latency, or accept the new baseline if intended.'],
    },
    evaluationInterval: '15m',
    cases: [
      {
        name: 'p95 rose from 0.195 s to 0.975 s in the last hour',
        interval: '5m',
        inputs: regression({ [bucketIndex(1)]: 60 }),
        evalTime: `${7 * 24 + 1}h`,
        expect: [{ labels: { job, quantile: '0.95' }, value: '975ms' }],
      },
      {
        name: 'p95 rose from 0.195 s to 0.24 s: above mean + 3 sigma, below 1.5x',
        interval: '5m',
        inputs: regression({ [bucketIndex(0.2)]: 49, [bucketIndex(0.5)]: 3 }),
        evalTime: `${7 * 24 + 1}h`,
        expect: [],
      },
    ],
  });

  return specs;
}

/** Go's `%.4g`, which Prometheus's humanize functions use. */
export function formatG(value: number): string {
  if (value === 0) return '0';
  const exponent = Math.floor(Math.log10(Math.abs(value)));
  if (exponent < -4 || exponent >= 4) {
    const [mantissa, power] = value.toExponential(3).split('e') as [string, string];
    const trimmed = mantissa.includes('.') ? mantissa.replace(/\.?0+$/, '') : mantissa;
    const sign = power.startsWith('-') ? '-' : '+';
    return `${trimmed}e${sign}${power.replace(/^[-+]/, '').padStart(2, '0')}`;
  }
  return String(Number(value.toPrecision(4)));
}

/** Prometheus's `humanize`: SI prefixes, 4 significant digits. */
export function humanize(value: number): string {
  if (value === 0 || !Number.isFinite(value)) return formatG(value);
  const big = ['', 'k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'];
  const small = ['', 'm', 'u', 'n', 'p', 'f', 'a', 'z', 'y'];
  let v = value;
  if (Math.abs(v) >= 1) {
    let i = 0;
    while (Math.abs(v) >= 1000 && i < big.length - 1) {
      v /= 1000;
      i++;
    }
    return `${formatG(v)}${big[i]}`;
  }
  let i = 0;
  while (Math.abs(v) < 1 && i < small.length - 1) {
    v *= 1000;
    i++;
  }
  return `${formatG(v)}${small[i]}`;
}

/** Prometheus's `humanizePercentage`: a ratio as a percentage, 4 significant digits. */
export function humanizePercentage(ratio: number): string {
  return `${formatG(ratio * 100)}%`;
}

/** Prometheus's `humanize1024`: binary prefixes (`ki`, `Mi` …), 4 significant digits. */
export function humanize1024(value: number): string {
  if (Math.abs(value) <= 1 || !Number.isFinite(value)) return formatG(value);
  let v = value;
  let prefix = '';
  for (const next of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) {
    if (Math.abs(v) < 1024) break;
    prefix = next;
    v /= 1024;
  }
  return `${formatG(v)}${prefix}`;
}

/** Prometheus's `humanizeDuration`: `4.85s`, `950ms`, and days to minutes with whole seconds (`2m 30s`). */
export function humanizeDuration(secondsValue: number): string {
  if (secondsValue >= 1) {
    const whole = Math.trunc(secondsValue);
    const [days, hours, mins, secs] = [
      Math.trunc(whole / 86400),
      Math.trunc(whole / 3600) % 24,
      Math.trunc(whole / 60) % 60,
      whole % 60,
    ];
    if (days !== 0) return `${days}d ${hours}h ${mins}m ${secs}s`;
    if (hours !== 0) return `${hours}h ${mins}m ${secs}s`;
    if (mins !== 0) return `${mins}m ${secs}s`;
    return `${formatG(secondsValue)}s`;
  }
  return `${formatG(secondsValue * 1000)}ms`;
}
