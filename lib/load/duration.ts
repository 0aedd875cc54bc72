import { LoadUsageError } from './errors.js';

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Milliseconds of a duration such as `500ms`, `30s`, `1m30s` or `2h`. `what` names the value in the error, which
 * says how to write one.
 */
export function parseDuration(text: string, what: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    throw new LoadUsageError(`${what}: "${trimmed}" has no unit; write a duration such as ${trimmed}s, 1m or 500ms`);
  }
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(trimmed)) {
    throw new LoadUsageError(`${what}: "${trimmed}" is not a duration; write one such as 30s, 1m30s, 500ms or 2h`);
  }
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g))
    total += Number(amount) * UNITS_MS[unit!]!;
  return Math.round(total);
}
