import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Write a bundle atomically: every file goes to a temporary directory next to the output first, then each top-level
 * directory of the bundle replaces its old version by rename. A failure before the renames leaves the old bundle
 * untouched. Files are written in sorted order, so two runs produce the same tree.
 */
export function writeBundle(files: Map<string, string>, outDir: string): string[] {
  if (files.size === 0) throw new Error('refusing to write an empty bundle: the generators produced no file');
  mkdirSync(outDir, { recursive: true });
  const staging = mkdtempSync(join(outDir, '.mcp-observatory-'));
  try {
    const paths = [...files.keys()].sort();
    for (const path of paths) {
      const target = join(staging, path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, files.get(path)!);
    }
    const tops = [...new Set(paths.map((path) => path.split('/')[0]!))];
    for (const top of tops) {
      const current = join(outDir, top);
      const previous = join(staging, `.previous-${top}`);
      if (existsSync(current)) renameSync(current, previous);
      renameSync(join(staging, top), current);
    }
    return paths;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
