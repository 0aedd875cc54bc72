import { createRequire } from 'node:module';
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
} from '@opentelemetry/instrumentation';
import type {
  InstrumentationConfig,
  InstrumentationModuleDefinition,
  InstrumentationModuleFile,
} from '@opentelemetry/instrumentation';
import { INSTRUMENTATION_SCOPE } from './contract.js';
import { instrumentHandler } from './handler.js';
import { instrument } from './instrument.js';
import { SDK_ADAPTERS, adapterOf } from './sdk/index.js';
import type { HookedModule } from './sdk/index.js';
import type { InstrumentableServer, InstrumentOptions } from './types.js';
import { VERSION, packageJsonAbove } from './version.js';

/** Configuration of {@link McpInstrumentation}. */
export interface McpInstrumentationConfig extends InstrumentationConfig {
  /** Options for `instrument()`, applied to every MCP server that connects. @default {} */
  instrumentOptions?: InstrumentOptions;
}

type OnRequire = (exports: unknown, name: string, basedir?: string) => unknown;
type RequireHook = new (modules: string[], options: { internals: boolean }, onRequire: OnRequire) => unknown;

/**
 * True when `version` is in `range`, a range of the form the SDK adapters write (`>=1.10.0 <2`); prereleases count as
 * their release.
 */
export function inRange(version: string | undefined, range: string): boolean {
  const parse = (text: string) => (/^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(text) ?? []).slice(1, 4).map(Number);
  const [major, minor, patch] = parse(version ?? '');
  if (major === undefined || Number.isNaN(major)) return false;
  const compare = (bound: number[]) =>
    major !== bound[0]
      ? major - bound[0]!
      : minor !== (bound[1] || 0)
        ? minor! - (bound[1] || 0)
        : patch! - (bound[2] || 0);
  return range.split(/\s+/).every((part) => {
    const [, operator, bound] = /^(>=|<)(.+)$/.exec(part) ?? [];
    if (!operator || !bound) return false;
    const order = compare(parse(bound));
    return operator === '>=' ? order >= 0 : order < 0;
  });
}

/** The complement of a supported range, for the versions the hook says it cannot instrument. */
function outside(range: string): string {
  const [low, high] = range.split(/\s+/);
  return `<${low!.slice(2)} || >=${high!.slice(1)}`;
}

/** require-in-the-middle: the very copy that @opentelemetry/instrumentation hooks require() with. */
function requireHook(): RequireHook {
  const otelRequire = createRequire(createRequire(import.meta.url).resolve('@opentelemetry/instrumentation'));
  return (otelRequire('require-in-the-middle') as { Hook: RequireHook }).Hook;
}

/**
 * OpenTelemetry instrumentation that applies `instrument()` to every MCP server of the process, without code changes,
 * for every SDK line of `lib/sdk/`: it patches what each line's adapter names (the connect methods of the ESM and
 * CommonJS builds; for v2 also `createMcpHandler`, whose handler counts what it refuses before any server exists).
 * Clients are left alone. A server the app instrumented itself keeps the app's options. An SDK release outside the
 * supported ranges is named once on stderr.
 *
 * Loaded by `node --import mcp-observatory/register`; an app that runs its own OpenTelemetry SDK can register it
 * alongside its other instrumentations instead (before the SDK is first imported or required).
 *
 * @example
 * registerInstrumentations({ instrumentations: [new McpInstrumentation({ instrumentOptions: { maxTenants: 50 } })] });
 */
export class McpInstrumentation extends InstrumentationBase<McpInstrumentationConfig> {
  // Declared, never initialised: the base constructor runs init() and enable() before subclass fields would be set.
  declare private reported: Set<string> | undefined;
  declare private commonJsHooked: boolean;
  declare private definitions: InstrumentationModuleDefinition[] | undefined;
  declare private undo: Map<unknown, () => void> | undefined;

  constructor(config: McpInstrumentationConfig = {}) {
    super(INSTRUMENTATION_SCOPE, VERSION, config);
  }

  // Memoised: the base class keeps the first result and patches through it, and getModuleDefinitions() calls init().
  protected init(): InstrumentationModuleDefinition[] {
    if (this.definitions) return this.definitions;
    this.definitions = SDK_ADAPTERS.flatMap((sdk) =>
      sdk.modules.flatMap((module) => {
        const patch = (exports: unknown) => this.patchModule(module, exports);
        const unpatch = (exports: unknown) => this.unpatchModule(exports);
        const unsupported = new InstrumentationNodeModuleDefinition(
          module.packageName,
          [outside(module.versions)],
          (exports: unknown, version?: string) => this.unsupported(module, version, exports),
        );
        const supported = module.files
          ? new InstrumentationNodeModuleDefinition(
              module.packageName,
              [module.versions],
              undefined,
              undefined,
              module.files.map((file) => new InstrumentationNodeModuleFile(file, [module.versions], patch, unpatch)),
            )
          : new InstrumentationNodeModuleDefinition(module.packageName, [module.versions], patch, unpatch);
        return [supported, unsupported];
      }),
    );
    return this.definitions;
  }

  override enable(): void {
    super.enable();
    this.hookCommonJsFiles();
  }

  /**
   * The base class finds a module's internal files only through the package's main entry, and a package may name a
   * `"."` export it does not ship (SDK 1.x names `dist/cjs/index.js`). A require hook that names each internal file
   * needs no such resolution; it feeds the same file definitions, so enable/disable still apply.
   */
  private hookCommonJsFiles(): void {
    if (this.commonJsHooked) return;
    this.commonJsHooked = true;
    for (const definition of this.init()) {
      for (const file of definition.files) {
        try {
          const Hook = requireHook();
          // require-in-the-middle names internal files without the .js extension.
          new Hook([file.name.replace(/\.js$/, '')], { internals: true }, (exports, _name, basedir) =>
            this.onCommonJsFile(definition, file, exports, basedir),
          );
        } catch (error) {
          this.reportOnce('hook', error);
        }
      }
    }
  }

  private onCommonJsFile(
    definition: InstrumentationModuleDefinition,
    file: InstrumentationModuleFile,
    exports: unknown,
    basedir: string | undefined,
  ): unknown {
    const version = basedir === undefined ? undefined : packageJsonAbove(basedir, definition.name)?.version;
    const range = file.supportedVersions[0]!;
    if (!inRange(version, range)) {
      this._diag.debug(`${definition.name} ${version ?? '(unknown version)'} is outside ${range}`);
      return exports;
    }
    definition.moduleVersion = version;
    file.moduleExports = exports;
    return this.isEnabled() ? file.patch(exports, version) : exports;
  }

  private patchModule(module: HookedModule, exports: unknown): unknown {
    try {
      this.undo ??= new Map();
      this.undo.get(exports)?.();
      const options = () => this.getConfig().instrumentOptions;
      this.undo.set(
        exports,
        module.patch(
          exports,
          (server) => this.instrumentServer(server),
          (handler) => {
            if (this.isEnabled()) instrumentHandler(handler as never, options());
          },
        ),
      );
    } catch (error) {
      this.reportOnce(module.packageName, error);
    }
    return exports;
  }

  private unpatchModule(exports: unknown): void {
    this.undo?.get(exports)?.();
    this.undo?.delete(exports);
  }

  /** Said once per package and version on stderr, whatever the diagnostics level: the user asked for telemetry. */
  private unsupported(module: HookedModule, version: string | undefined, exports: unknown): unknown {
    const key = `${module.packageName}@${version ?? '?'}`;
    this.reported ??= new Set();
    if (!this.reported.has(key)) {
      this.reported.add(key);
      process.stderr.write(
        `mcp-observatory: cannot instrument ${module.packageName} ${version ?? '(unknown version)'} (supported: ` +
          `${module.versions}); its MCP servers run without mcp-observatory telemetry\n`,
      );
    }
    return exports;
  }

  private instrumentServer(server: object): void {
    try {
      if (!this.isEnabled()) return;
      const found = adapterOf(server);
      if (!found || !found.sdk.isServer(found.dispatch)) return;
      // instrument() returns the existing handle for a server already instrumented (by the app or a reconnect).
      instrument(server as InstrumentableServer, this.getConfig().instrumentOptions);
    } catch (error) {
      this.reportOnce('instrument', error);
    }
  }

  /** Telemetry never breaks the server: say what went wrong once, then stay quiet. */
  private reportOnce(what: string, error: unknown): void {
    this.reported ??= new Set();
    if (this.reported.has(what)) return;
    this.reported.add(what);
    this._diag.error(`could not instrument MCP servers (${what}); they keep serving without telemetry`, error);
  }
}
