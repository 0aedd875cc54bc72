/**
 * Bounds one label: the first `max` distinct values keep their own label value, later ones fold into `overflow`.
 * First-come rather than top-N by traffic, so an admitted value's series never disappear.
 */
export class LabelGuard {
  private readonly admitted = new Set<string>();

  constructor(
    setting: string,
    readonly max: number,
    private readonly overflow: string,
    private readonly onOverflow: () => void,
    private readonly onAdmit: (count: number) => void = () => {},
  ) {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`Invalid ${setting}: ${max} (expected an integer >= 1)`);
  }

  /** The label value for `value`. */
  label(value: string): string {
    if (this.admitted.has(value)) return value;
    if (this.admitted.size < this.max) {
      this.admitted.add(value);
      this.onAdmit(this.admitted.size);
      return value;
    }
    this.onOverflow();
    return this.overflow;
  }
}
