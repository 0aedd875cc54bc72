/**
 * Screenshots of snapshot pages in a real headless Chromium (Debian's `chromium`, or $CHROMIUM_PATH), driven by
 * playwright-core, an optional peer: imported only when a PNG is asked for, so the package carries no browser driver.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type * as PlaywrightCore from 'playwright-core';
import { ReportUsageError } from '../report/errors.js';

/** Where Chromium is: $CHROMIUM_PATH, else Debian's. */
export function chromiumPath(env: Record<string, string | undefined> = process.env): string | undefined {
  for (const path of [env['CHROMIUM_PATH'], '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (path && existsSync(path)) return path;
  }
  return undefined;
}

/** Run `use` with a 1600 px wide page of a headless Chromium; `flag` names what asked for it in errors. */
async function withPage<T>(flag: string, use: (page: PlaywrightCore.Page) => Promise<T>): Promise<T> {
  const executablePath = chromiumPath();
  if (!executablePath)
    throw new ReportUsageError(`${flag} needs Chromium: apt-get install chromium, or set CHROMIUM_PATH`);
  let playwright: typeof PlaywrightCore;
  try {
    playwright = await import('playwright-core');
  } catch {
    throw new ReportUsageError(`${flag} needs playwright-core: npm install playwright-core next to mcp-observatory`);
  }
  // --no-sandbox: root in a container has no user namespace for Chromium's sandbox; the pages are our own files.
  const browser = await playwright.chromium.launch({ executablePath, args: ['--no-sandbox'] });
  try {
    return await use(await browser.newPage({ viewport: { width: 1600, height: 900 } }));
  } finally {
    await browser.close();
  }
}

async function open(page: PlaywrightCore.Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('html[data-rendered="true"]', { timeout: 30_000 });
}

export interface PageShot {
  /** The page to open (a file: or http: URL). */
  url: string;
  /** Where the PNG goes. */
  png: string;
}

/** What a page drew: every panel's title and state (`data`, `empty`, `error`). */
export type PanelStates = Record<string, string>;

/** A full-page PNG of each page, once it has drawn; returns each page's panel states. */
export function screenshot(pages: PageShot[]): Promise<PanelStates[]> {
  return withPage('--png', async (page) => {
    const states: PanelStates[] = [];
    for (const shot of pages) {
      await open(page, shot.url);
      await page.screenshot({ path: shot.png, fullPage: true });
      states.push(
        await page.$$eval('section.panel', (panels) =>
          Object.fromEntries(panels.map((p) => [p.getAttribute('data-panel'), p.getAttribute('data-state')])),
        ),
      );
    }
    return states;
  });
}

/**
 * A PNG of each chart panel (time series and bar gauges) of one page, in `dir`, named after its position and title;
 * returns [title, file name] in page order.
 */
export function screenshotCharts(url: string, dir: string): Promise<[string, string][]> {
  return withPage('--images', async (page) => {
    await open(page, url);
    const charts = await page.$$('section.panel[data-kind="timeseries"], section.panel[data-kind="bargauge"]');
    const files: [string, string][] = [];
    for (const [i, chart] of charts.entries()) {
      const title = (await chart.getAttribute('data-panel')) ?? `chart ${i + 1}`;
      const slug = title
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '');
      const file = `${String(i + 1).padStart(2, '0')}-${slug}.png`;
      await chart.screenshot({ path: join(dir, file) });
      files.push([title, file]);
    }
    return files;
  });
}
