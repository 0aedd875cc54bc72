import { leMatcher } from './conventions.js';

/**
 * How rules and panels read a request-duration histogram: the one place that knows its series. Classic: `_count` and
 * `_bucket`. With native histograms on, every expression reads the native histogram first and the classic series of
 * the same labels otherwise, so a fleet moves to native histograms one server at a time and a Prometheus that keeps
 * both counts each request once. Within one group that mixes both kinds, quantiles come from the native ones.
 */
export interface HistogramQueries {
  /** Requests per second of each series matching `matchers`, over `range` (`[5m]`, `[$__rate_interval]`, `[5m] offset 1w`). */
  rate(matchers: string, range: string): string;
  /**
   * Requests per second that took at most `seconds` (a bucket boundary), per series; an idle native series is absent
   * (its fraction is NaN), as is an idle classic one in a sum: either adds nothing.
   */
  rateWithin(matchers: string, seconds: number, range: string): string;
  /** The `quantile` of the duration, aggregated by `by` (no `le`). */
  quantile(quantile: number, by: readonly string[], matchers: string, range: string): string;
  /** Observed seconds per second of each series (the rate of the histogram's sum). */
  sumRate(matchers: string, range: string): string;
  /** A series selector naming every job, instance and label the histogram has: for `label_values`. */
  series(matchers: string): string;
}

export function histogramQueries(metric: string, native: boolean): HistogramQueries {
  const sumBy = (by: readonly string[]) => (by.length === 0 ? 'sum' : `sum by (${by.join(', ')})`);
  const classic: HistogramQueries = {
    rate: (matchers, range) => `rate(${metric}_count{${matchers}}${range})`,
    rateWithin: (matchers, seconds, range) => `rate(${metric}_bucket{${matchers}, ${leMatcher(seconds)}}${range})`,
    quantile: (q, by, matchers, range) =>
      `histogram_quantile(${q}, ${sumBy([...by, 'le'])} (rate(${metric}_bucket{${matchers}}${range})))`,
    sumRate: (matchers, range) => `rate(${metric}_sum{${matchers}}${range})`,
    series: (matchers) => (matchers === '' ? `${metric}_count` : `${metric}_count{${matchers}}`),
  };
  if (!native) return classic;
  const nativeRate = (matchers: string, range: string) => `rate(${metric}{${matchers}}${range})`;
  return {
    // `or` keeps a classic series only where no native one has its labels; `ignoring (le)` does so for buckets.
    rate: (matchers, range) => `(histogram_count(${nativeRate(matchers, range)}) or ${classic.rate(matchers, range)})`,
    rateWithin: (matchers, seconds, range) =>
      `((histogram_fraction(0, ${seconds}, ${nativeRate(matchers, range)}) * histogram_count(${nativeRate(matchers, range)}) >= 0)` +
      ` or ignoring (le) ${classic.rateWithin(matchers, seconds, range)})`,
    quantile: (q, by, matchers, range) =>
      `(histogram_quantile(${q}, ${sumBy(by)} (${nativeRate(matchers, range)})) or ${classic.quantile(q, by, matchers, range)})`,
    sumRate: (matchers, range) =>
      `(histogram_sum(${nativeRate(matchers, range)}) or ${classic.sumRate(matchers, range)})`,
    series: (matchers) => `{__name__=~"${metric}|${metric}_count"${matchers === '' ? '' : `, ${matchers}`}}`,
  };
}

/**
 * Prometheus's global scrape settings for the histograms (Prometheus 3.8+ with native histograms on): native
 * histograms scraped where a target exposes them (the collector's exponential ones, over protobuf), and every
 * classic histogram stored as a native histogram with custom buckets, so rules read one kind per series.
 */
export function histogramScrapeSettings(native: boolean): Record<string, boolean> {
  return native ? { scrape_native_histograms: true, convert_classic_histograms_to_nhcb: true } : {};
}
