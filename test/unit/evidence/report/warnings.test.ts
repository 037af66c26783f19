/**
 * Prometheus' warnings (partial responses) recorded in a measurement event reach every report
 * format verbatim (issue 7.1): a reviewer must see that a decision was taken on a partial answer.
 */
import { describe, expect, it } from 'vitest';
import { renderReport, REPORT_FORMATS } from '../../../../src/lib/evidence/report/render.js';
import type { RolloutEvent } from '../../../../src/lib/state/types.js';
import { fixtureEvents } from './fixtures.js';

const PARTIAL = 'partial response: store 10.0.0.7:10901 unavailable';

/** The promoted fixture with one measurement made inconclusive by a partial answer, as the engine records it. */
function withPartialAnswer(): { events: RolloutEvent[]; gate: string } {
  const events = structuredClone(fixtureEvents('promoted'));
  const m = events.find((e) => e.type === 'measurement')!;
  m.data = { ...m.data, verdict: 'inconclusive', reason: `partial answer: Prometheus sent a warning ("${PARTIAL}")`, warnings: [PARTIAL, 'second <warning> & "quoted"'] };
  return { events, gate: String(m.data.gate) };
}

describe('warnings in evidence reports', () => {
  it('the summary keeps them per measurement and per gate', () => {
    const { events, gate } = withPartialAnswer();
    const { summary } = renderReport(events, 'md');
    const g = summary.gates.find((x) => x.name === gate)!;
    expect(g.warnings).toEqual([PARTIAL, 'second <warning> & "quoted"']);
    expect(g.measurements.filter((m) => m.warnings.length > 0)).toHaveLength(1);
  });

  it('md: a line in the gate section and the measurement row', () => {
    const { events } = withPartialAnswer();
    const { text } = renderReport(events, 'md');
    expect(text).toContain(`⚠️ Prometheus warnings (partial answers, verbatim): \` ${PARTIAL} \``);
    expect(text).toContain(`[Prometheus warnings: "${PARTIAL}"`);
  });

  it('html: escaped, in the gate section and the row', () => {
    const { events } = withPartialAnswer();
    const { text } = renderReport(events, 'html');
    expect(text).toContain(`<code>${PARTIAL}</code>`);
    expect(text).toContain('second &lt;warning&gt; &amp;');
    expect(text).not.toContain('second <warning>');
  });

  it('json: in the gate summary and in the recorded event', () => {
    const { events, gate } = withPartialAnswer();
    const doc = JSON.parse(renderReport(events, 'json').text) as { summary: { gates: Array<{ name: string; warnings: string[] }> }; events: RolloutEvent[] };
    expect(doc.summary.gates.find((g) => g.name === gate)!.warnings).toEqual([PARTIAL, 'second <warning> & "quoted"']);
    expect(doc.events.find((e) => e.type === 'measurement')!.data.warnings).toEqual([PARTIAL, 'second <warning> & "quoted"']);
  });

  it('junit: in the system-out of the gate test case', () => {
    const { events } = withPartialAnswer();
    const { text } = renderReport(events, 'junit');
    expect(text).toContain(`[Prometheus warnings: &quot;${PARTIAL}&quot;`);
  });

  it.each(REPORT_FORMATS)('%s: no warnings, no warning text (control)', (format) => {
    const { text } = renderReport(fixtureEvents('promoted'), format);
    expect(text).not.toContain('Prometheus warning');
  });
});

describe('describeEvent (timeline text) shows the warnings', () => {
  it('a measurement event with warnings names them verbatim; one without does not', async () => {
    const { describeEvent } = await import('../../../../src/lib/evidence/report/event-text.js');
    const { events } = withPartialAnswer();
    const m = events.find((e) => e.type === 'measurement')!;
    expect(describeEvent(m)).toContain(`[Prometheus warnings: "${PARTIAL}", "second <warning> & \\"quoted\\""]`);
    const plain = fixtureEvents('promoted').find((e) => e.type === 'measurement')!;
    expect(describeEvent(plain)).not.toContain('Prometheus warning');
  });
});
