import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest package.json named `name` at or above `start`, or undefined. */
export function packageJsonAbove(start: string, name: string): { version?: string } | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name) return pkg;
    } catch {
      // no package.json here: keep climbing
    }
    if (dirname(dir) === dir) return undefined;
  }
}

const here = dirname(fileURLToPath(import.meta.url));

/** This package's version (read from source or from dist, wherever the module runs from). */
export const VERSION = packageJsonAbove(here, 'mcp-observatory')?.version ?? '0.0.0';
