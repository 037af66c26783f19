/**
 * The audit's HTML report in a real headless Chromium (Debian's `chromium`, playwright-core): one
 * burn-down chart per SLO, visible, with its line drawn, the excluded window shaded and the alert
 * bars present; no network request; light and dark screenshots under test-output/sla-audit/.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { renderAuditReport } from '../../src/lib/evidence/report/audit-render.js';
import { ROOT } from '../support/cli.js';
import { AUDIT_EVENTS } from '../unit/sla/audit-report-fixture.js';

const OUTPUT = join(ROOT, 'test-output', 'sla-audit');
let browser: BrowserContext;
let profile: string;
let pages: string;

beforeAll(async () => {
  profile = mkdtempSync(join(tmpdir(), 'rollgate-chromium-profile-'));
  pages = mkdtempSync(join(tmpdir(), 'rollgate-audit-html-'));
  mkdirSync(OUTPUT, { recursive: true });
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1100, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await rm(profile, { recursive: true, force: true });
  await rm(pages, { recursive: true, force: true });
});

it('every SLO has a visible burn-down chart with exclusions shaded and alert bars; no network request', async () => {
  const { text, report } = renderAuditReport(AUDIT_EVENTS, 'html');
  const file = join(pages, 'audit.html');
  writeFileSync(file, text);
  const url = pathToFileURL(file).href;
  const page = await browser.newPage();
  try {
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(url, { waitUntil: 'load' });
    const charts = page.locator('figure.gate-chart svg');
    expect(await charts.count()).toBe(report.slos.length);
    for (let i = 0; i < report.slos.length; i += 1) {
      const chart = charts.nth(i);
      expect(await chart.isVisible()).toBe(true);
      const box = (await chart.boundingBox())!;
      expect(box.width).toBeGreaterThan(500);
      expect(box.height).toBeGreaterThan(150);
      expect(await chart.locator('rect.excluded').count()).toBe(1);
      expect(await chart.locator('rect.lane-page').count()).toBe(1);
    }
    // The SLOs with a budget have their line drawn with a real length.
    const length = await charts.nth(0).locator('polyline.budget').evaluate((el) => (el as unknown as { getTotalLength(): number }).getTotalLength());
    expect(length).toBeGreaterThan(100);
    expect(await page.locator('.outcome').innerText()).toMatch(/^VIOLATED/);
    expect(requests).toEqual([url]);
    await page.screenshot({ path: join(OUTPUT, 'audit-light.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(OUTPUT, 'audit-dark.png'), fullPage: true });
  } finally {
    await page.close();
  }
}, 120_000);
