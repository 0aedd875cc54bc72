/**
 * PNG screenshots of snapshot pages in a real headless Chromium (Debian's `chromium`, or $CHROMIUM_PATH), driven by
 * playwright-core, an optional peer: imported only for `--png`, so the package does not carry a browser driver.
 */
import { existsSync } from 'node:fs';
import type * as PlaywrightCore from 'playwright-core';
import { ReportUsageError } from '../report/errors.js';

/** Where Chromium is: $CHROMIUM_PATH, else Debian's. */
export function chromiumPath(env: Record<string, string | undefined> = process.env): string | undefined {
  for (const path of [env['CHROMIUM_PATH'], '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (path && existsSync(path)) return path;
  }
  return undefined;
}

export interface PageShot {
  /** The page to open (a file: or http: URL). */
  url: string;
  /** Where the PNG goes. */
  png: string;
}

/** What a page drew: every panel's title and state (`data`, `empty`, `error`). */
export type PanelStates = Record<string, string>;

/** Open each page at 1600 px wide, wait until it has drawn, save a full-page PNG; returns each page's panel states. */
export async function screenshot(pages: PageShot[]): Promise<PanelStates[]> {
  const executablePath = chromiumPath();
  if (!executablePath) {
    throw new ReportUsageError('--png needs Chromium: apt-get install chromium, or set CHROMIUM_PATH');
  }
  let playwright: typeof PlaywrightCore;
  try {
    playwright = await import('playwright-core');
  } catch {
    throw new ReportUsageError('--png needs playwright-core: npm install playwright-core next to mcp-observatory');
  }
  // --no-sandbox: root in a container has no user namespace for Chromium's sandbox; the pages are our own files.
  const browser = await playwright.chromium.launch({ executablePath, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    const states: PanelStates[] = [];
    for (const shot of pages) {
      await page.goto(shot.url);
      await page.waitForSelector('html[data-rendered="true"]', { timeout: 30_000 });
      await page.screenshot({ path: shot.png, fullPage: true });
      states.push(
        await page.$$eval('section.panel', (panels) =>
          Object.fromEntries(panels.map((p) => [p.getAttribute('data-panel'), p.getAttribute('data-state')])),
        ),
      );
    }
    return states;
  } finally {
    await browser.close();
  }
}
