// The compliance registry: the external dependency of the compliance_check tool, which knows the controls of each
// regulatory framework. Simulated in process with network-like latency; an injected outage makes every call fail.
import { setTimeout as sleep } from 'node:timers/promises';

/** Frameworks and their controls, as the registry serves them. */
export const FRAMEWORKS = {
  'eu-ai-act': ['risk-management-system', 'data-governance', 'transparency', 'human-oversight', 'record-keeping'],
  'nist-ai-rmf': ['govern', 'map', 'measure', 'manage'],
  'iso-42001': ['ai-policy', 'risk-assessment', 'impact-assessment', 'supplier-management', 'incident-management'],
};

export const FRAMEWORK_IDS = Object.keys(FRAMEWORKS);

/** A failure of the dependency itself, as a client library would report a refused connection. */
export class DependencyError extends Error {
  constructor(message) {
    super(message);
    this.name = 'DependencyError';
    this.code = 'ECONNREFUSED';
  }
}

export class ComplianceRegistry {
  /** @param {{ outage: () => boolean }} options `outage()` tells whether the dependency is down right now */
  constructor({ outage }) {
    this.name = 'compliance-registry';
    this.outage = outage;
  }

  /** The controls of `framework`; 20–60 ms, or a connection failure after 50 ms during an outage. */
  async controls(framework) {
    if (this.outage()) {
      await sleep(50);
      throw new DependencyError('compliance registry unreachable: connect ECONNREFUSED (injected outage)');
    }
    await sleep(20 + Math.random() * 40);
    return FRAMEWORKS[framework] ?? [];
  }

  /** A cheap health probe. */
  async ping() {
    if (this.outage())
      throw new DependencyError('compliance registry unreachable: connect ECONNREFUSED (injected outage)');
  }
}
