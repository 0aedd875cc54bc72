// A circuit breaker in front of a dependency: after `failureThreshold` consecutive failures it opens and fails fast for
// `openMs`; then one probe call (half-open) decides whether it closes again. Every transition is reported through the
// library's signals, so `mcp_server_circuit_breaker_state` always shows the current state.

/** Thrown instead of calling the dependency while the breaker is open. */
export class BreakerOpenError extends Error {
  constructor(dependency, retryAfterMs) {
    super(`${dependency} unavailable: circuit breaker open, retry after ${Math.ceil(retryAfterMs / 1000)} s`);
    this.name = 'BreakerOpenError';
    this.retryAfterMs = retryAfterMs;
  }
}

export class CircuitBreaker {
  /**
   * @param {string} dependency the `dependency` label
   * @param {{ failureThreshold?: number, openMs?: number, signals: import('../../dist/lib/index.js').AppSignals, log?: (line: string) => void }} options
   */
  constructor(dependency, { failureThreshold = 5, openMs = 10_000, signals, log = () => {} }) {
    this.dependency = dependency;
    this.failureThreshold = failureThreshold;
    this.openMs = openMs;
    this.signals = signals;
    this.log = log;
    this.failures = 0;
    this.openedAt = 0;
    this.probing = false;
    this.transition('closed');
  }

  transition(state) {
    if (this.state === state) return;
    if (this.state !== undefined) this.log(`circuit breaker ${this.dependency}: ${this.state} -> ${state}`);
    this.state = state;
    this.signals.circuitState(this.dependency, state);
  }

  /** Run `call` through the breaker: fail fast while open, let one probe through when the open period is over. */
  async call(call) {
    if (this.state === 'open') {
      const waited = Date.now() - this.openedAt;
      if (waited < this.openMs) throw new BreakerOpenError(this.dependency, this.openMs - waited);
      this.transition('half_open');
    }
    // While a probe is out, everyone else still fails fast.
    if (this.state === 'half_open') {
      if (this.probing) throw new BreakerOpenError(this.dependency, this.openMs);
      this.probing = true;
    }
    try {
      const result = await call();
      this.failures = 0;
      this.transition('closed');
      return result;
    } catch (error) {
      this.failures++;
      if (this.state === 'half_open' || this.failures >= this.failureThreshold) {
        this.openedAt = Date.now();
        this.transition('open');
      }
      throw error;
    } finally {
      if (this.state !== 'half_open') this.probing = false;
    }
  }
}
