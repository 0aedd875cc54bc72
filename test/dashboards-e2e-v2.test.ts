import { instrument } from '../lib/index.js';
import { describeDashboardsEndToEnd } from './fixtures/dashboards-e2e.js';
import { connectV2, createV2TestServer, serveV2Stateful } from './fixtures/server-v2.js';

describeDashboardsEndToEnd({
  name: 'v2',
  // Prometheus 3 stores every `le` in float form (`1.0`): the latency SLO rules and panels must still find them.
  prometheus: 'prometheus3',
  serve: (registry, tokens) =>
    serveV2Stateful(() => {
      const server = createV2TestServer();
      instrument(server, { registry, maxTenants: 3, logs: false });
      return server;
    }, tokens),
  connect: (url, headers) => connectV2(url, 'legacy', headers),
});
