import { describe, expect, it } from 'vitest';
import { renderReport } from '../../../../src/lib/evidence/report/render.js';
import { fixtureEvents, FIXTURE_NAMES } from './fixtures.js';

describe('html report (static checks; test/integration/evidence/html-chromium.test.ts opens it in Chromium)', () => {
  it.each(FIXTURE_NAMES)('%s: self-contained, with a chart per measured gate and the outcome first', (name) => {
    const { text, summary } = renderReport(fixtureEvents(name), 'html');
    expect(text.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(text).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    // Nothing that loads: no script, no external stylesheet, image, font or iframe.
    expect(text).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|@font-face/i);
    // The only absolute URLs are the Prometheus graph links (navigations, not loads) and the SVG namespace.
    const urls = [...text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(urls.every((u) => u.startsWith(summary.prometheusUrl!))).toBe(true);
    expect(text).toContain('@media (prefers-color-scheme:dark)');
    expect(text).toContain('@media print');
    for (const gate of summary.gates) {
      expect(text).toContain(`<figure class="gate-chart" data-gate="${gate.name}"><svg class="chart" role="img"`);
    }
    const body = text.slice(text.indexOf('<main>'));
    expect(body.indexOf('class="outcome')).toBeLessThan(body.indexOf('<table'));
  });

  it('marks failing points and draws the threshold and the weight line', () => {
    const { text } = renderReport(fixtureEvents('rolled back by a gate'), 'html');
    const chart = text.slice(text.indexOf('data-gate="error-rate"><svg'), text.indexOf('</svg>', text.indexOf('data-gate="error-rate"><svg')));
    expect(chart.match(/class="point failing"/g)).toHaveLength(1);
    expect(chart).toContain('class="threshold"');
    expect(chart).toMatch(/<path class="weight" d="M[\d.]+ [\d.]+(H[\d.]+V[\d.]+)+H[\d.]+">/);
  });

  it('escapes recorded text', () => {
    const events = fixtureEvents('approved').map((e) => structuredClone(e));
    const decided = events.find((e) => e.type === 'approval.decided')!;
    decided.data.comment = '<img src=x onerror=alert(1)> & "quotes"';
    const { text } = renderReport(events, 'html');
    expect(text).not.toContain('<img src=x');
    expect(text).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;');
  });
});
