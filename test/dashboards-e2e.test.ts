import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { instrument } from '../lib/index.js';
import { describeDashboardsEndToEnd } from './fixtures/dashboards-e2e.js';
import { serveHttp } from './fixtures/http.js';
import { createTestServer } from './fixtures/server.js';

describeDashboardsEndToEnd({
  name: 'v1',
  prometheus: 'prometheus',
  serve: (registry, tokens) =>
    serveHttp(
      'stateful',
      () => {
        const server = createTestServer();
        instrument(server, { registry, maxTenants: 3, logs: false });
        return server;
      },
      { tokens },
    ),
  async connect(url, headers) {
    const client = new Client({ name: 'dashboards-load', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
    return client;
  },
});
