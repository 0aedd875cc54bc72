import { DASHBOARDS } from '../conventions.js';
import type { Model } from '../model.js';
import { dashboardSpecs } from './catalog.js';
import { buildDashboard } from './panels.js';

/** Where a dashboard's JSON lands, relative to the output directory. */
export const dashboardPath = (uid: string) => `dashboards/${uid}.json`;

/** Every dashboard of the bundle as Grafana JSON (path → content); the SDK builds objects in a stable key order. */
export function dashboardFiles(model: Model, stamp: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const spec of dashboardSpecs(model)) {
    // JSON has no comments: the generated-file stamp goes into the description.
    const dashboard = buildDashboard({ ...spec, description: `${spec.description} ${stamp}` }, model.requests);
    files.set(dashboardPath(DASHBOARDS[spec.key].uid), `${JSON.stringify(dashboard, null, 2)}\n`);
  }
  return files;
}

export { dashboardSpecs };
