import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
  isWrapped,
} from '@opentelemetry/instrumentation';
import type {
  InstrumentationConfig,
  InstrumentationModuleDefinition,
  InstrumentationModuleFile,
} from '@opentelemetry/instrumentation';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { INSTRUMENTATION_SCOPE } from './contract.js';
import { instrument } from './instrument.js';
import type { InstrumentOptions } from './types.js';
import { VERSION } from './version.js';

/** Configuration of {@link McpInstrumentation}. */
export interface McpInstrumentationConfig extends InstrumentationConfig {
  /** Options for `instrument()`, applied to every MCP server that connects. @default {} */
  instrumentOptions?: InstrumentOptions;
}

const SDK = '@modelcontextprotocol/sdk';
/** SDK releases whose `Protocol` class lives in `dist/{esm,cjs}/shared/protocol.js` with the dispatch we hook. */
const MIN_VERSION = [1, 10, 0] as const;
const BELOW_MAJOR = 2;
const SUPPORTED_VERSIONS = [`>=${MIN_VERSION.join('.')} <${BELOW_MAJOR}`];
/** The SDK ships both builds; an app loads one (or, through a dual-package hazard, both). */
const ESM_PROTOCOL = `${SDK}/dist/esm/shared/protocol.js`;
const CJS_PROTOCOL = `${SDK}/dist/cjs/shared/protocol.js`;

type Connect = (this: object, ...args: unknown[]) => Promise<void>;

interface ProtocolPrototype {
  connect: Connect;
}

interface ProtocolModule {
  Protocol?: { prototype: Partial<ProtocolPrototype> };
}

type OnRequire = (exports: unknown, name: string, basedir?: string) => unknown;
type RequireHook = new (modules: string[], options: { internals: boolean }, onRequire: OnRequire) => unknown;

/** Servers and clients both extend `Protocol`; only a server has these. */
function isServer(protocol: object): boolean {
  const candidate = protocol as { _oninitialize?: unknown; getClientCapabilities?: unknown };
  return typeof candidate._oninitialize === 'function' || typeof candidate.getClientCapabilities === 'function';
}

/** True for a version in {@link SUPPORTED_VERSIONS}; prereleases count as their release. */
export function supportedSdkVersion(version: string | undefined): boolean {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version ?? '');
  if (!match) return false;
  const [major, minor, patch] = match.slice(1).map(Number) as [number, number, number];
  if (major >= BELOW_MAJOR) return false;
  const [minMajor, minMinor, minPatch] = MIN_VERSION;
  return major !== minMajor ? major > minMajor : minor !== minMinor ? minor > minMinor : patch >= minPatch;
}

function packageVersion(directory: string): string | undefined {
  try {
    const version = (JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as { version?: unknown })
      .version;
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}

/** require-in-the-middle: the very copy that @opentelemetry/instrumentation hooks require() with. */
function requireHook(): RequireHook {
  const otelRequire = createRequire(createRequire(import.meta.url).resolve('@opentelemetry/instrumentation'));
  return (otelRequire('require-in-the-middle') as { Hook: RequireHook }).Hook;
}

/**
 * OpenTelemetry instrumentation that applies `instrument()` to every MCP server of the process, without code changes:
 * it hooks the SDK's `Protocol.prototype.connect` (ESM and CommonJS builds) and instruments each server as it
 * connects. Clients are left alone. A server the app instrumented itself keeps the app's options.
 *
 * Loaded by `node --import mcp-observatory/register`; an app that runs its own OpenTelemetry SDK can register it
 * alongside its other instrumentations instead (before the SDK is first imported or required).
 *
 * @example
 * registerInstrumentations({ instrumentations: [new McpInstrumentation({ instrumentOptions: { maxTenants: 50 } })] });
 */
export class McpInstrumentation extends InstrumentationBase<McpInstrumentationConfig> {
  // Declared, never initialised: the base constructor runs init() and enable() before subclass fields would be set.
  declare private reported: boolean;
  declare private commonJsHooked: boolean;
  declare private definition: InstrumentationModuleDefinition | undefined;

  constructor(config: McpInstrumentationConfig = {}) {
    super(INSTRUMENTATION_SCOPE, VERSION, config);
  }

  // Memoised: the base class keeps the first result and patches through it, and getModuleDefinitions() calls init().
  protected init(): InstrumentationModuleDefinition {
    if (this.definition) return this.definition;
    const files = [ESM_PROTOCOL, CJS_PROTOCOL].map(
      (name) =>
        new InstrumentationNodeModuleFile(
          name,
          SUPPORTED_VERSIONS,
          (exports: ProtocolModule) => this.patchProtocol(exports),
          (exports?: ProtocolModule) => this.unpatchProtocol(exports),
        ),
    );
    this.definition = new InstrumentationNodeModuleDefinition(SDK, SUPPORTED_VERSIONS, undefined, undefined, files);
    return this.definition;
  }

  override enable(): void {
    super.enable();
    this.hookCommonJs();
  }

  /**
   * The base class never sees the CommonJS build: its require hook resolves the package's main entry to tell internal
   * files apart, and the SDK's `"."` export points at a file it does not ship (`dist/cjs/index.js`). A hook that names
   * the internal file needs no such resolution; it feeds the same file definition, so enable/disable still apply.
   */
  private hookCommonJs(): void {
    if (this.commonJsHooked) return;
    this.commonJsHooked = true;
    const definition = this.init();
    const file = definition.files.find((each) => each.name === CJS_PROTOCOL);
    if (!file) return;
    try {
      const Hook = requireHook();
      // require-in-the-middle names internal files without the .js extension.
      new Hook([CJS_PROTOCOL.replace(/\.js$/, '')], { internals: true }, (exports, _name, basedir) =>
        this.onCommonJsProtocol(definition, file, exports, basedir),
      );
    } catch (error) {
      this.reportOnce(error);
    }
  }

  private onCommonJsProtocol(
    definition: InstrumentationModuleDefinition,
    file: InstrumentationModuleFile,
    exports: unknown,
    basedir: string | undefined,
  ): unknown {
    const version = basedir === undefined ? undefined : packageVersion(basedir);
    if (!supportedSdkVersion(version)) {
      this._diag.debug(`${SDK} ${version ?? '(unknown version)'} is outside ${SUPPORTED_VERSIONS.join(' || ')}`);
      return exports;
    }
    definition.moduleVersion = version;
    file.moduleExports = exports;
    return this.isEnabled() ? file.patch(exports, version) : exports;
  }

  private patchProtocol(exports: ProtocolModule): ProtocolModule {
    const prototype = exports?.Protocol?.prototype as ProtocolPrototype | undefined;
    if (typeof prototype?.connect !== 'function') {
      this.reportOnce(new TypeError(`${SDK} has no Protocol.prototype.connect; MCP servers will not be instrumented`));
      return exports;
    }
    const instrumentServer = (protocol: object) => this.instrumentServer(protocol);
    // _wrap unwraps an earlier wrapper first, so patching twice never stacks two.
    this._wrap(prototype, 'connect', (original: Connect) => {
      return function connect(this: object, ...args: unknown[]) {
        instrumentServer(this);
        return original.apply(this, args);
      } as Connect;
    });
    return exports;
  }

  private unpatchProtocol(exports: ProtocolModule | undefined): void {
    const prototype = exports?.Protocol?.prototype;
    if (prototype && isWrapped(prototype.connect)) this._unwrap(prototype, 'connect');
  }

  private instrumentServer(protocol: object): void {
    try {
      if (!this.isEnabled() || !isServer(protocol)) return;
      // instrument() returns the existing handle for a server already instrumented (by the app or a reconnect).
      instrument(protocol as Server, this.getConfig().instrumentOptions);
    } catch (error) {
      this.reportOnce(error);
    }
  }

  /** Telemetry never breaks the server: say what went wrong once, then stay quiet. */
  private reportOnce(error: unknown): void {
    if (this.reported) return;
    this.reported = true;
    this._diag.error('could not instrument MCP servers; they keep serving without mcp-observatory telemetry', error);
  }
}
