import { TARGET_INFO } from '../contract.js';
/**
 * The metric names a PromQL expression reads. Not a parser (promtool parses, with Prometheus's own grammar): a lexer
 * that skips strings, label matchers, ranges and grouping lists, and keeps identifiers that are neither functions,
 * aggregations nor keywords. Enough to check every name against the telemetry contract.
 */

const AGGREGATIONS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
]);
const KEYWORDS = new Set(['and', 'or', 'unless', 'atan2', 'bool', 'offset', 'inf', 'nan', 'Inf', 'NaN']);
/** Keywords followed by a parenthesised label list, which holds label names, not metrics. */
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

/** Series Prometheus itself provides. */
export const SYNTHETIC_METRICS = new Set([
  'up',
  TARGET_INFO,
  'scrape_duration_seconds',
  'scrape_samples_scraped',
  'ALERTS',
  'ALERTS_FOR_STATE',
]);

/** The distinct metric names `expr` selects, in order of appearance. */
export function metricNames(expr: string): string[] {
  const names: string[] = [];
  let i = 0;
  const skipBlock = (open: string, close: string) => {
    let depth = 0;
    for (; i < expr.length; i++) {
      const c = expr[i]!;
      if (c === '"' || c === "'" || c === '`') skipString();
      else if (c === open) depth++;
      else if (c === close && --depth === 0) {
        i++;
        return;
      }
    }
  };
  const skipString = () => {
    const quote = expr[i]!;
    for (i++; i < expr.length && expr[i] !== quote; i++) if (expr[i] === '\\') i++;
  };
  const nextNonSpace = (from: number) => {
    let j = from;
    while (j < expr.length && /\s/.test(expr[j]!)) j++;
    return j;
  };
  while (i < expr.length) {
    const c = expr[i]!;
    if (c === '"' || c === "'" || c === '`') {
      skipString();
      i++;
    } else if (c === '{') skipBlock('{', '}');
    else if (c === '[') skipBlock('[', ']');
    else if (c === '#') while (i < expr.length && expr[i] !== '\n') i++;
    else if (/[0-9.]/.test(c)) {
      // numbers, durations (5m) and scientific notation
      while (i < expr.length && /[0-9a-zA-Z_.+-]/.test(expr[i]!) && !(expr[i] === '-' && !/[eE]/.test(expr[i - 1]!)))
        i++;
    } else if (/[a-zA-Z_:]/.test(c)) {
      const start = i;
      while (i < expr.length && /[a-zA-Z0-9_:]/.test(expr[i]!)) i++;
      const word = expr.slice(start, i);
      const next = nextNonSpace(i);
      if (GROUPING.has(word)) {
        if (expr[next] === '(') {
          i = next;
          skipBlock('(', ')');
        }
      } else if (word === 'offset') {
        // offset 1w: the duration is not a name
        i = next;
        while (i < expr.length && /[0-9a-zA-Z]/.test(expr[i]!)) i++;
      } else if (expr[next] === '(' || AGGREGATIONS.has(word) || KEYWORDS.has(word)) {
        // a function call, an aggregation, or an operator keyword
      } else if (!names.includes(word)) names.push(word);
    } else i++;
  }
  return names;
}
