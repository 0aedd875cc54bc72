/** Random choices of the load: a seeded generator, weighted picks, Zipf weights, and sessions shared over tenants. */

/** A seeded pseudo-random generator (mulberry32): the same seed gives the same run of tenants, tools and arguments. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Weights of ranks 1…n under Zipf's law with exponent `s`: rank k gets 1/k^s (s = 0 is even). */
export function zipfWeights(n: number, s: number): number[] {
  return Array.from({ length: n }, (_, k) => 1 / (k + 1) ** s);
}

/** Picks index i with probability weights[i] / sum, by binary search over the cumulative weights. */
export class WeightedPicker {
  private readonly cumulative: number[];
  private readonly total: number;

  constructor(weights: readonly number[]) {
    let sum = 0;
    this.cumulative = weights.map((weight) => (sum += weight));
    this.total = sum;
    if (!(sum > 0)) throw new RangeError('WeightedPicker needs at least one positive weight');
  }

  pick(random: () => number): number {
    const target = random() * this.total;
    let low = 0;
    let high = this.cumulative.length - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.cumulative[mid]! > target) high = mid;
      else low = mid + 1;
    }
    return low;
  }
}

/**
 * Share `sessions` over tenants in proportion to `weights`, each tenant getting at least one: the largest shortfall
 * gets the next session. Returns the number of sessions per tenant.
 */
export function apportion(sessions: number, weights: readonly number[]): number[] {
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const counts = weights.map(() => 1);
  for (let given = weights.length; given < sessions; given++) {
    let best = 0;
    for (let i = 1; i < weights.length; i++) {
      if ((weights[i]! / total) * sessions - counts[i]! > (weights[best]! / total) * sessions - counts[best]!) best = i;
    }
    counts[best]!++;
  }
  return counts;
}
