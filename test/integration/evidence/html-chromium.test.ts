/**
 * The HTML report in a real headless Chromium (Debian's `chromium`, driven by playwright-core):
 * every gate's chart is present and visible, opening it makes no network request, and it reads
 * well in light and dark mode and when printed (screenshots and a PDF under test-output/evidence/).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../../src/lib/evidence/report/render.js';
import { ROOT } from '../../support/cli.js';
import { fixtureEvents, FIXTURE_NAMES, FIXTURES } from '../../unit/evidence/report/fixtures.js';

const OUTPUT = join(ROOT, 'test-output', 'evidence');
let browser: BrowserContext;
let profile: string;
let pages: string;

beforeAll(async () => {
  profile = mkdtempSync(join(tmpdir(), 'rollgate-chromium-profile-'));
  pages = mkdtempSync(join(tmpdir(), 'rollgate-html-'));
  mkdirSync(OUTPUT, { recursive: true });
  // A fresh profile (--user-data-dir) per run: playwright passes it for a persistent context.
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1100, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await rm(profile, { recursive: true, force: true });
  await rm(pages, { recursive: true, force: true });
});

describe('html report in Chromium', () => {
  for (const name of FIXTURE_NAMES) {
    it(`${name}: every gate chart visible, no network request`, async () => {
      const { text, summary } = renderReport(fixtureEvents(name), 'html');
      const file = join(pages, FIXTURES[name].replace('.ndjson', '.html'));
      writeFileSync(file, text);
      const url = pathToFileURL(file).href;
      const page = await browser.newPage();
      try {
        const requests: string[] = [];
        page.on('request', (request) => requests.push(request.url()));
        await page.goto(url, { waitUntil: 'load' });
        
        // Every gate of the plan has its chart, measured or not (an unmeasured one shows threshold and weight).
        expect(summary.gates.length).toBeGreaterThan(0);
        expect(await page.locator('figure.gate-chart svg.chart').count()).toBe(summary.gates.length);
        for (const gate of summary.gates) {
          const chart = page.locator(`figure.gate-chart[data-gate="${gate.name}"] svg.chart`);
          await expect.poll(() => chart.count()).toBe(1);
          expect(await chart.isVisible(), gate.name).toBe(true);
          const box = (await chart.boundingBox())!;
          expect(box.width).toBeGreaterThan(500);
          expect(box.height).toBeGreaterThan(120);
          // The weight line and the threshold are drawn, with real lengths.
          const weightLength = await chart.locator('path.weight').evaluate((el) => (el as unknown as { getTotalLength(): number }).getTotalLength());
          expect(weightLength).toBeGreaterThan(100);
          if (gate.max !== null) expect(await chart.locator('line.threshold').count()).toBe(1);
          const failing = gate.measurements.filter((m) => m.verdict === 'fail').length;
          expect(await chart.locator('.point.failing').count()).toBe(failing);
        }
        expect(await page.locator('.outcome').innerText()).toBe(summary.outcome);
        // Only the report itself was requested: no CDN, font, image or script.
        expect(requests).toEqual([url]);

        const base = join(OUTPUT, FIXTURES[name].replace('.ndjson', ''));
        await page.screenshot({ path: `${base}-light.png`, fullPage: true });
        await page.emulateMedia({ colorScheme: 'dark' });
        const background = await page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
        expect(background).toBe('rgb(13, 17, 23)');
        await page.screenshot({ path: `${base}-dark.png`, fullPage: true });
        await page.emulateMedia({ media: 'print', colorScheme: 'light' });
        expect(await page.evaluate<string>("getComputedStyle(document.querySelector('.scroll')).maxHeight")).toBe('none');
        // One PDF is enough to look at the print layout (and it costs a second or two).
        if (name === 'rolled back by a gate') {
          await page.pdf({ path: `${base}-print.pdf`, format: 'A4' });
          await page.screenshot({ path: `${base}-print.png`, fullPage: true });
        }
        expect(requests).toEqual([url]);
      } finally {
        await page.close();
      }
    }, 30_000);
  }
});
