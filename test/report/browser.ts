// Opens a report in headless Chromium (playwright-core + Debian chromium) and reports what
// rendered: every plot div, its plotly SVG, its trace count, console errors, network requests.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CHROMIUM = '/usr/bin/chromium';

/** Why the browser check cannot run here (null: it can). In CI it must run: never skip there. */
export function browserUnavailable(): string | null {
  if (existsSync(CHROMIUM)) return null;
  if (process.env.CI) throw new Error(`CI is set but ${CHROMIUM} is missing (apt package chromium)`);
  return `${CHROMIUM} not installed (apt package chromium); browser check not run`;
}

export interface PageCheck {
  plots: { id: string; hasSvg: boolean; traces: number; expected: number }[];
  consoleErrors: string[];
  requests: string[];
  title: string;
}

export async function checkReportInBrowser(htmlPath: string, screenshot?: string): Promise<PageCheck> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'gnnwb-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
    viewport: { width: 1200, height: 900 },
  });
  try {
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    await page.route('**/*', (route) => {
      const u = route.request().url();
      if (u.startsWith('file:') || u.startsWith('data:')) return route.continue();
      requests.push(u);
      return route.abort();
    });
    await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load', timeout: 120_000 });
    // Browser-side code as strings (this file is typechecked without the DOM lib).
    await page.waitForFunction(`(() => {
      const divs = Array.from(document.querySelectorAll('div.plot'));
      return divs.length > 0 && divs.every((d) => d.querySelector('.main-svg'));
    })()`, undefined, { timeout: 120_000 }).catch(() => undefined);
    const plots = (await page.evaluate(`(() => {
      const figs = JSON.parse(document.getElementById('gnnwb-figures').textContent);
      return Array.from(document.querySelectorAll('div.plot')).map((d) => {
        const id = d.getAttribute('data-figure');
        return { id, hasSvg: !!d.querySelector('.main-svg'), traces: (d.data || []).length, expected: figs[id] ? figs[id].data.length : -1 };
      });
    })()`)) as PageCheck['plots'];
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    return { plots, consoleErrors, requests, title: await page.title() };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
