import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

/** Staging directories of the writer, next to the bundle: `.mcp-observatory-<pid>-<time>`. */
const STAGING_PREFIX = '.mcp-observatory-';
/** Marks a staging directory whose swap has begun: only such a directory has old directories to put back. */
const SWAPPING = 'swapping';

/** Test hook: called before each step of the swap, so tests can fail or kill the writer there. */
export const writerSteps: { before?: (step: string) => void } = {};

/**
 * Write a bundle atomically. Every file goes to a staging directory next to the output first; then each top-level
 * directory of the bundle (alerts/, dashboards/ …) is swapped in by rename, the old one kept in the staging directory
 * until all are in. A failure during the swap puts every old directory back; a writer killed during the swap leaves
 * its staging directory, and the next write (or {@link recoverInterruptedWrite}) puts the old bundle back first. Files
 * are written in sorted order, so two runs produce the same tree.
 *
 * `userOwned` files are the user's once they exist (a password to change, say): an existing one is kept as it is.
 */
export function writeBundle(files: Map<string, string>, outDir: string, userOwned: ReadonlySet<string> = new Set()) {
  if (files.size === 0) throw new Error('refusing to write an empty bundle: the generators produced no file');
  mkdirSync(outDir, { recursive: true });
  recoverInterruptedWrite(outDir);
  const staging = join(outDir, `${STAGING_PREFIX}${process.pid}-${Date.now()}`);
  mkdirSync(join(staging, 'new'), { recursive: true });
  try {
    const paths = [...files.keys()].sort();
    for (const path of paths) {
      const target = join(staging, 'new', path);
      mkdirSync(dirname(target), { recursive: true });
      if (userOwned.has(path) && existsSync(join(outDir, path))) copyFileSync(join(outDir, path), target);
      else writeFileSync(target, files.get(path)!);
    }
    const tops = [...new Set(paths.map((path) => path.split('/')[0]!))];
    mkdirSync(join(staging, 'old'));
    writeFileSync(join(staging, SWAPPING), `${tops.join('\n')}\n`);
    try {
      for (const top of tops) {
        writerSteps.before?.(`move out ${top}`);
        if (existsSync(join(outDir, top))) renameSync(join(outDir, top), join(staging, 'old', top));
        writerSteps.before?.(`move in ${top}`);
        renameSync(join(staging, 'new', top), join(outDir, top));
      }
    } catch (error) {
      putBack(staging, outDir, tops);
      throw error;
    }
    return paths;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Undo the swap of a writer that was killed midway: every directory it moved out goes back, every half-swapped new
 * one goes, and the staging directory with it. Returns the top-level directories restored.
 */
export function recoverInterruptedWrite(outDir: string): string[] {
  const restored: string[] = [];
  for (const entry of existsSync(outDir) ? readdirSync(outDir) : []) {
    if (!entry.startsWith(STAGING_PREFIX)) continue;
    const staging = join(outDir, entry);
    const swapping = join(staging, SWAPPING);
    if (existsSync(swapping)) {
      const tops = readFileSync(swapping, 'utf8').split('\n').filter(Boolean);
      restored.push(...putBack(staging, outDir, tops));
    }
    rmSync(staging, { recursive: true, force: true });
  }
  return restored;
}

/**
 * Put the bundle of before the swap back: a directory moved out returns in place of the new one; a new directory
 * moved in where there was none goes; a directory the swap had not reached stays.
 */
function putBack(staging: string, outDir: string, tops: readonly string[]): string[] {
  const restored: string[] = [];
  for (const top of tops) {
    const old = join(staging, 'old', top);
    const current = join(outDir, top);
    if (existsSync(old)) {
      rmSync(current, { recursive: true, force: true });
      renameSync(old, current);
      restored.push(top);
    } else if (!existsSync(join(staging, 'new', top))) {
      rmSync(current, { recursive: true, force: true });
    }
  }
  return restored;
}
