/**
 * The OpenTelemetry Collector Builder (`ocb`) manifest of `otelcol-mcp`: exactly the components that the configs of
 * both profiles use (the single collector, and the scale-out agent and gateway), every variant included.
 */
import { resolveConfig } from '../config/config.js';
import {
  COLLECTOR_PATHS,
  COMPONENT_MODULES,
  OTELCOL_DIST,
  OTELCOL_VERSION,
  PROVIDERS,
  collectorConfig,
  yaml,
} from './collector.js';
import type { CollectorConfig, ComponentKind } from './collector.js';
import { agentCollectorConfig, gatewayCollectorConfig } from './scale-out/collectors.js';

const KINDS = Object.keys(COMPONENT_MODULES) as ComponentKind[];

/** Component types a collector config uses, by kind (`otlp_grpc/tempo.acme` counts as `otlp_grpc`). */
export function componentsOf(collector: CollectorConfig): Record<ComponentKind, string[]> {
  const types = (section: Record<string, unknown> | undefined) =>
    [...new Set(Object.keys(section ?? {}).map((id) => id.split('/')[0]!))].sort();
  return Object.fromEntries(KINDS.map((kind) => [kind, types(collector[kind])])) as Record<ComponentKind, string[]>;
}

/** Every config the generator can write, for a configuration that turns every feature on. */
export function allCollectorVariants(): CollectorConfig[] {
  const everything = resolveConfig({
    profile: 'scale-out',
    collector: { routing: { tenants: ['a'], defaultTenant: 'b' }, operationsFromSpans: { services: ['s'] } },
  });
  return (['backends', 'file'] as const).flatMap((exporters) => [
    collectorConfig(everything, { exporters }),
    gatewayCollectorConfig(everything, { exporters }),
    agentCollectorConfig(everything, { exporters }),
  ]);
}

/**
 * The builder manifest: the `otelcol-mcp` distribution with exactly the components the generator's configs use, all
 * from the {@link OTELCOL_VERSION} release.
 */
export function collectorManifest(): Record<string, unknown> {
  const used = Object.fromEntries(KINDS.map((kind) => [kind, new Set<string>()])) as Record<ComponentKind, Set<string>>;
  for (const variant of allCollectorVariants()) {
    for (const [kind, types] of Object.entries(componentsOf(variant)) as [ComponentKind, string[]][]) {
      for (const type of types) used[kind].add(type);
    }
  }
  const modules = (kind: ComponentKind) =>
    [...used[kind]].sort().map((type) => {
      const module = (COMPONENT_MODULES[kind] as Record<string, string>)[type];
      if (module === undefined) throw new Error(`no Go module known for the ${kind} component "${type}"`);
      return { gomod: `${module} v${OTELCOL_VERSION}` };
    });
  return {
    dist: {
      name: OTELCOL_DIST,
      description: 'OpenTelemetry Collector for MCP servers (mcp-observatory)',
      output_path: `./${OTELCOL_DIST}`,
      version: OTELCOL_VERSION,
    },
    ...Object.fromEntries(KINDS.map((kind) => [kind, modules(kind)])),
    providers: PROVIDERS.map((gomod) => ({ gomod })),
  };
}

/** The manifest file of the bundle, stamped. */
export function collectorManifestFile(stamp: string): [string, string] {
  const build = `# Build: scripts/build-collector.sh (or: builder --config ${COLLECTOR_PATHS.manifest})`;
  return [COLLECTOR_PATHS.manifest, `# ${stamp}\n${build}\n${yaml(collectorManifest())}`];
}
