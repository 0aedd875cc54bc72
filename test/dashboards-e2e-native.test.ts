import { instrument } from '../lib/index.js';
import { describeDashboardsEndToEnd } from './fixtures/dashboards-e2e.js';
import { connectV2, createV2TestServer, serveV2Stateful } from './fixtures/server-v2.js';

describeDashboardsEndToEnd({
  name: 'v2',
  // The bundle with native histograms on: Prometheus 3 stores the library's classic histograms as native histograms
  // with custom buckets, and every rule, panel and variable must read them.
  prometheus: 'prometheus3',
  nativeHistograms: true,
  // Drawn without Grafana too: the snapshot pages, checked in a headless Chromium.
  snapshot: true,
  serve: (registry, tokens) =>
    serveV2Stateful(() => {
      const server = createV2TestServer();
      instrument(server, { registry, maxTenants: 3, logs: false });
      return server;
    }, tokens),
  connect: (url, headers) => connectV2(url, 'modern', headers),
});
