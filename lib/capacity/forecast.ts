/**
 * The forecast of `capacity`: a least-squares line through a series' samples — the model of PromQL's
 * `predict_linear` — extended to the horizon, with a 95% prediction interval from the residuals. Growth of MCP traffic
 * is rarely linear for long, so the interval and the coverage of the period are printed next to every number.
 */

/** A line fitted to a series, and what it says about the horizon. */
export interface Trend {
  /** Samples the line was fitted to. */
  points: number;
  /** The fitted value at the last sample's time ("now"). */
  now: number;
  /** Change per day. */
  perDay: number;
  /** The fitted value at the horizon, and its 95% prediction interval. */
  forecast: number;
  low: number;
  high: number;
  /** Standard deviation of the residuals: how far samples stray from the line. */
  residualStd: number;
}

/** z of a two-sided 95% interval; the sample counts here (hundreds) make Student's t the same to two digits. */
const Z95 = 1.96;
const DAY = 86_400;

/** The trend of `points` (`[unix seconds, value]`), `horizonSeconds` after the last one; none below 3 points. */
export function fitTrend(points: readonly [number, number][], horizonSeconds: number): Trend | undefined {
  const n = points.length;
  if (n < 3) return undefined;
  // Centre time on its mean: the sums stay small and the fit exact for timestamps around 1.8e9.
  const meanT = points.reduce((sum, [t]) => sum + t, 0) / n;
  const meanV = points.reduce((sum, [, v]) => sum + v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const [t, v] of points) {
    sxx += (t - meanT) ** 2;
    sxy += (t - meanT) * (v - meanV);
  }
  if (sxx === 0) return undefined;
  const slope = sxy / sxx;
  const at = (t: number) => meanV + slope * (t - meanT);
  const squares = points.reduce((sum, [t, v]) => sum + (v - at(t)) ** 2, 0);
  const residualStd = Math.sqrt(squares / (n - 2));
  const last = points[n - 1]![0];
  const target = last + horizonSeconds;
  // The prediction interval widens with the distance from the mean time of the samples.
  const spread = Z95 * residualStd * Math.sqrt(1 + 1 / n + (target - meanT) ** 2 / sxx);
  const forecast = at(target);
  return {
    points: n,
    now: at(last),
    perDay: slope * DAY,
    forecast,
    low: forecast - spread,
    high: forecast + spread,
    residualStd,
  };
}

/**
 * Seconds from now until the fitted line reaches `limit`: 0 when it is there already, undefined when it never does
 * (flat or falling). The line, not the interval: the interval is printed next to it.
 */
export function secondsToLimit(trend: Trend, limit: number): number | undefined {
  if (trend.now >= limit) return 0;
  if (trend.perDay <= 0) return undefined;
  return ((limit - trend.now) / trend.perDay) * DAY;
}
