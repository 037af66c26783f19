import { describe, expect, it } from 'vitest';
import { summarizeRollout } from '../../../../src/lib/evidence/report/summary.js';
import { fixtureEvents, FIXTURE_NAMES } from './fixtures.js';

describe('summarizeRollout (from recorded runs)', () => {
  it('promoted: outcome, steps completed, gates with measurements and graph links', () => {
    const s = summarizeRollout(fixtureEvents('promoted'));
    expect(s.status).toBe('promoted');
    expect(s.stillRunning).toBe(false);
    expect(s.outcome).toMatch(/^Promoted: checkout reached 100% after 3 steps in \d+s; 2 gates measured, no critical gate failed\.$/);
    expect(s.steps.map((st) => st.result)).toEqual(['completed', 'completed', 'completed']);
    const gate = s.gates.find((g) => g.name === 'error-rate')!;
    expect(gate.measurements.length).toBeGreaterThan(3);
    expect(gate.max).toBe(0.05);
    expect(gate.graphLinks[0]!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graph\?g0\.expr=.+&g0\.range_input=\d+s&g0\.end_input=.+&g0\.tab=0$/);
    expect(decodeURIComponent(gate.graphLinks[0]!.url)).toContain('track="canary"');
    expect(s.planSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(s.toolVersion).toBeTruthy();
    expect(s.operator).toBeTruthy();
    expect(s.stateStore).toMatch(/^file:/);
    expect(s.chain).toMatchObject({ intact: true, events: fixtureEvents('promoted').length });
    expect(s.weights.map((w) => w.weight)).toEqual([10, 50, 100]);
  });

  it('rolled back by a gate: says which gate, the value, the step and the weight', () => {
    const s = summarizeRollout(fixtureEvents('rolled back by a gate'));
    expect(s.status).toBe('rolled_back');
    expect(s.outcome).toMatch(/^Rolled back from 25% at step 2 of 3: gate error-rate failed: [\d.]+ > max 0\.05 .*traffic restored to 0%; stable verified healthy\.$/);
    expect(s.steps.map((st) => st.result)).toEqual(['completed', 'failed', 'not reached']);
    expect(s.rollback).toMatchObject({ trigger: 'gate', fromWeight: 25, step: 2, verified: true });
    expect(s.timeline.some((r) => r.event === 'measurement' && /fail/.test(r.detail))).toBe(true);
  });

  it('approved: who approved (the CI job) and when, with the comment', () => {
    const s = summarizeRollout(fixtureEvents('approved'));
    expect(s.status).toBe('promoted');
    expect(s.approvals).toHaveLength(1);
    expect(s.approvals[0]).toMatchObject({ step: 1, decision: 'approve', comment: 'dashboards look fine', planned: true });
    expect(s.approvals[0]!.by).toMatch(/deploy/);
    expect(Date.parse(s.approvals[0]!.decidedAt!)).toBeGreaterThan(Date.parse(s.approvals[0]!.requestedAt));
    expect(s.outcome).toMatch(/approved by .*deploy/);
  });

  it('emergency rollback: who asked, why, the severity', () => {
    const s = summarizeRollout(fixtureEvents('emergency rollback'));
    expect(s.status).toBe('rolled_back');
    expect(s.rollback).toMatchObject({ trigger: 'abort', fromWeight: 25, abort: { reason: 'pager: 5xx spike in checkout', severity: 'major' } });
    expect(s.outcome).toMatch(/^Rolled back from 25% at step 2 of 3 by .+ \(emergency rollback, severity major\): pager: 5xx spike in checkout; traffic restored to 0%/);
  });

  it.each(FIXTURE_NAMES)('a prefix of the %s log is reported as still running', (name) => {
    const events = fixtureEvents(name);
    const s = summarizeRollout(events.slice(0, Math.ceil(events.length / 2)));
    expect(s.stillRunning).toBe(true);
    expect(s.outcome).toMatch(/^Still running/);
    expect(s.chain.intact).toBe(true);
  });

  it('a tampered event is reported as a broken chain, naming the event', () => {
    const events = fixtureEvents('promoted').map((e) => structuredClone(e));
    (events[5]!.data as Record<string, unknown>).value = 0.001;
    const s = summarizeRollout(events);
    expect(s.chain).toMatchObject({ intact: false, brokenAt: 6 });
  });
});

describe('a rollout still running, in every format', () => {
  it.each(['md', 'html', 'json', 'junit'] as const)('%s says so on top', async (format) => {
    const { renderReport } = await import('../../../../src/lib/evidence/report/render.js');
    const events = fixtureEvents('approved');
    // Waiting for the approval: the log ends at approval.requested.
    const waiting = events.slice(0, events.findIndex((e) => e.type === 'approval.requested') + 1);
    const { text } = renderReport(waiting, format);
    const head = text.slice(0, 600);
    if (format === 'json') expect(JSON.parse(text).summary).toMatchObject({ stillRunning: true, status: 'running' });
    else expect(head).toMatch(/still running/i);
  });
});
