/** The audit report formats, rendered from a hand-built audit event log (pure functions, no servers). */
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { renderAuditReport } from '../../../src/lib/evidence/report/audit-render.js';
import { budgetTime } from '../../../src/lib/evidence/report/audit-summary.js';
import type { SloResult } from '../../../src/lib/sla/audit-types.js';
import { AUDIT_EVENTS } from './audit-report-fixture.js';

describe('audit reports', () => {
  const events = AUDIT_EVENTS;

  it('markdown: verdict, SLO table, exclusions, alert intervals, rule violations; no credentials', () => {
    const { text, report } = renderAuditReport(events, 'md');
    expect(report.chain.intact).toBe(true);
    expect(text).toMatch(/\*\*VIOLATED/);
    expect(text).toMatch(/\| availability \| 99.9% \| 99.95% \| compliant \| 50% \| 21.5 min of 43.1 min \| 1 \|/);
    expect(text).toMatch(/- 2026-10-20T01:00:00Z → 2026-10-20T03:00:00Z: db <maintenance> & "drill"/);
    expect(text).toMatch(/2026-10-10T12:02:00.000Z → 2026-10-10T12:35:00.000Z/);
    expect(text).toMatch(/\| p95 \| critical \| > 0.12 \| 30m \| 2026-10-12T10:00:00.000Z → 2026-10-12T10:45:00.000Z \(45 min, peak 0.3\) \|/);
    expect(text).toMatch(/1h no data/);
    expect(text).not.toContain('hunter2');
  });

  it('html: self-contained, escaped, one chart per SLO with excluded windows and alert bars', () => {
    const { text } = renderAuditReport(events, 'html');
    expect(text).not.toMatch(/<script|<link|src="http/);
    expect(text).toContain('db &lt;maintenance&gt; &amp; &quot;drill&quot;');
    expect(text.match(/<svg /g)).toHaveLength(3);
    expect(text).toMatch(/class="excluded"/);
    expect(text).toMatch(/class="lane-page"/);
    expect(text).not.toContain('hunter2');
  });

  it('junit: one testcase per SLO and rule; missed SLO and critical rule fail, no data errors, a warning rule never fails', () => {
    const { text } = renderAuditReport(events, 'junit');
    const doc = new XMLParser({ ignoreAttributes: false }).parse(text);
    expect(doc.testsuites['@_tests']).toBe('5');
    expect(doc.testsuites['@_failures']).toBe('2');
    expect(doc.testsuites['@_errors']).toBe('1');
    const cases = [doc.testsuites.testsuite].flat().flatMap((s: { testcase: unknown }) => [s.testcase].flat()) as Array<Record<string, unknown>>;
    expect(cases.map((c) => c['@_name'])).toEqual(['availability', 'latency', 'ghost', 'p95', 'cache']);
    expect(cases[4]!.failure).toBeUndefined();
    expect(String(cases[4]!['system-out'])).toMatch(/warning rule violated \(reported only\)/);
    // Counts in words: "1 violation", never "violation(s)".
    expect((cases[3]!.failure as Record<string, string>)['@_message']).toMatch(/^1 violation: /);
    expect(text).not.toContain('(s)');
  });

  it('json: the contract document plus the whole log', () => {
    const doc = JSON.parse(renderAuditReport(events, 'json').text);
    expect(doc).toMatchObject({ schemaVersion: 1, auditId: 'audit-checkout-x', verdict: 'violated' });
    expect(doc.slos[2]).toMatchObject({ name: 'ghost', sli: null, compliant: null, status: 'insufficient_data' });
    expect(doc.events).toHaveLength(events.length);
  });

  it('a log cut short has no verdict, and a changed byte breaks the chain shown in the report', () => {
    expect(renderAuditReport(events.slice(0, 2), 'md').report.verdict).toBe('unfinished');
    const tampered = events.map((e, i) => (i === 1 ? { ...e, data: { slo: { ...(e.data.slo as SloResult), sli: 0.99999 } } } : e));
    const { text, report } = renderAuditReport(tampered, 'html');
    expect(report.chain.intact).toBe(false);
    expect(text).toMatch(/Evidence chain broken/);
  });

  it('budget time for people', () => {
    expect([budgetTime(2_592), budgetTime(30), budgetTime(-7_200), budgetTime(172_800)]).toEqual(['43.2 min', '30 s', '-2 h', '2 d']);
  });
});
