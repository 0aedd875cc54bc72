import { describe, expect, it } from 'vitest';
import { newRegistry } from '../lib/index.js';
import { recorderFor } from '../lib/recorders.js';

describe('recorderFor: one recorder per configuration', () => {
  const registry = newRegistry();
  const destination = () => {};

  it('finds the recorder of an options literal rebuilt per request by its contents', () => {
    const options = () => ({ registry, processMetrics: false, logs: { destination, level: 'warn' as const } });
    const first = recorderFor(options());
    expect(recorderFor(options())).toBe(first);
    // Another configuration in between does not lose the first one.
    const other = recorderFor({ registry, processMetrics: false, logs: false });
    expect(other).not.toBe(first);
    expect(recorderFor(options())).toBe(first);
  });

  it('tells configurations apart by every value, nested ones and identities included', () => {
    const base = recorderFor({ registry, processMetrics: false, logs: { destination, level: 'info' } });
    expect(recorderFor({ registry, processMetrics: false, logs: { destination, level: 'error' } })).not.toBe(base);
    expect(recorderFor({ registry, processMetrics: false, logs: { destination: () => {}, level: 'info' } })).not.toBe(
      base,
    );
    expect(
      recorderFor({ registry: newRegistry(), processMetrics: false, logs: { destination, level: 'info' } }),
    ).not.toBe(base);
    expect(
      recorderFor({ registry, processMetrics: false, logs: { destination, level: 'info' }, tracing: false }),
    ).not.toBe(base);
    expect(recorderFor({ registry, processMetrics: false, logs: { level: 'info', destination } })).toBe(base);
  });

  it('does not let a later change to the options object pass for the configuration it was built from', () => {
    const options = { registry, processMetrics: false, tracing: true, logs: false as const };
    const tracing = recorderFor(options);
    options.tracing = false;
    const untraced = recorderFor({ registry, processMetrics: false, tracing: false, logs: false });
    expect(untraced).not.toBe(tracing);
    expect(recorderFor({ registry, processMetrics: false, tracing: true, logs: false })).toBe(tracing);
  });
});
