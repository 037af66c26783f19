import { describe, expect, it } from 'vitest';
import { alertFiringQuery, errorRatioQuery, ruleBreachQuery, withRange } from '../../../src/lib/sla/audit-queries.js';
import { alertStepMs, overallVerdict, ruleStepMs, windowLabel } from '../../../src/lib/sla/audit.js';
import { budgetRatio, burnRate, errorBudget } from '../../../src/lib/sla/budget.js';
import { burnFactor as scaledFactor } from '../../../src/lib/sla/burn-windows.js';
import { RunBuilder, mergeIntervals, rangeChunks, subtractIntervals, totalLength } from '../../../src/lib/sla/intervals.js';
import { calendarPeriod, checkPeriodFlags, resolvePeriod } from '../../../src/lib/sla/period.js';

const H = 3_600_000;
const D = 24 * H;
const t = (s: string): number => Date.parse(s);

describe('error budget (hand-computed, SRE workbook)', () => {
  it('99.9% over 30 days is 43.2 minutes', () => {
    const b = errorBudget(99.9, 0, 30 * 86_400);
    expect(b.total).toBe(0.001);
    expect(b.totalSeconds).toBeCloseTo(2_592, 9);
    expect(b.totalSeconds / 60).toBeCloseTo(43.2, 9);
    expect(b.remaining).toBe(1);
  });
  it('consumed and remaining, also overspent', () => {
    const b = errorBudget(99.9, 0.00025, 30 * 86_400);
    expect(b.consumed).toBeCloseTo(0.25, 12);
    expect(b.remaining).toBeCloseTo(0.75, 12);
    expect(b.remainingSeconds).toBeCloseTo(1_944, 6);
    const over = errorBudget(99, 0.015, 86_400);
    expect(over.consumed).toBeCloseTo(1.5, 12);
    expect(over.remaining).toBeCloseTo(-0.5, 12);
  });
  it('burn rate and factors scaled to the period', () => {
    expect(budgetRatio(99.95)).toBe(0.0005);
    expect(burnRate(0.0144, 99.9)).toBeCloseTo(14.4, 12);
    expect(scaledFactor(0.02, 30 * D, H)).toBe(14.4);
    expect(scaledFactor(0.05, 30 * D, 6 * H)).toBe(6);
    expect(scaledFactor(0.1, 30 * D, 24 * H)).toBe(3);
    expect(scaledFactor(0.1, 30 * D, 72 * H)).toBe(1);
    // 28 days: 2% in 1h of 672h = 13.44
    expect(scaledFactor(0.02, 28 * D, H)).toBe(13.44);
    // October 2026 in Berlin: 745 hours
    expect(scaledFactor(0.02, 745 * H, H)).toBe(14.9);
  });
});

describe('intervals', () => {
  it('cuts exclusions out of a period', () => {
    const period = { start: 0, end: 100 };
    expect(subtractIntervals(period, [{ start: 10, end: 20 }, { start: 15, end: 30 }, { start: 90, end: 200 }])).toEqual([
      { start: 0, end: 10 },
      { start: 30, end: 90 },
    ]);
    expect(subtractIntervals(period, [{ start: -5, end: 200 }])).toEqual([]);
    expect(subtractIntervals(period, [])).toEqual([period]);
    expect(totalLength(subtractIntervals(period, [{ start: 40, end: 60 }]))).toBe(80);
    expect(mergeIntervals([{ start: 5, end: 6 }, { start: 1, end: 5 }])).toEqual([{ start: 1, end: 6 }]);
  });
  it('chunks range queries under 11,000 points without evaluating a point twice', () => {
    const step = 60_000;
    const chunks = rangeChunks(0, 30 * D, step);
    const points = chunks.reduce((n, c) => n + (c.end - c.start) / step + 1, 0);
    expect(points).toBe(30 * 1_440 + 1);
    for (const c of chunks) expect((c.end - c.start) / step + 1).toBeLessThanOrEqual(10_000);
    for (let i = 1; i < chunks.length; i += 1) expect(chunks[i]!.start).toBe(chunks[i - 1]!.end + step);
  });
  it('turns points into runs; a missing point ends a run; the peak is kept', () => {
    const runs = new RunBuilder(60_000);
    for (const [m, v] of [[0, 1], [1, 5], [2, 3], [5, 2], [6, 9]] as const) runs.add(m * 60_000, v);
    expect(runs.finish()).toEqual([
      { start: 0, end: 120_000, peak: 5, points: 3 },
      { start: 300_000, end: 360_000, peak: 9, points: 2 },
    ]);
    const low = new RunBuilder(60_000, false);
    low.add(0, 0.9);
    low.add(60_000, 0.7);
    expect(low.finish()[0]!.peak).toBe(0.7);
  });
});

describe('periods', () => {
  const now = new Date('2026-12-01T12:00:00Z');
  it('calendar month across the end of DST (October 2026, Europe/Berlin)', () => {
    const p = resolvePeriod({ kind: 'calendar', unit: 'month', timezone: 'Europe/Berlin' }, { at: new Date('2026-10-15T10:00:00Z'), now });
    expect(p.from.toISOString()).toBe('2026-09-30T22:00:00.000Z');
    expect(p.to.toISOString()).toBe('2026-10-31T23:00:00.000Z');
    expect(p.nominalMs).toBe(745 * H);
    // March 2026: DST starts on the 29th, 743 hours
    const march = calendarPeriod('month', 'Europe/Berlin', new Date('2026-03-10T00:00:00Z'));
    expect(march.end.getTime() - march.start.getTime()).toBe(743 * H);
  });
  it('the current calendar period is audited to date; its factor uses the whole period', () => {
    const p = resolvePeriod({ kind: 'calendar', unit: 'month', timezone: 'UTC' }, { now });
    expect(p.from.toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(p.to.toISOString()).toBe(now.toISOString());
    expect(p.nominalMs).toBe(31 * D);
  });
  it('weeks start on Monday, quarters on the first of Jan/Apr/Jul/Oct', () => {
    const w = calendarPeriod('week', 'America/New_York', new Date('2026-11-05T12:00:00Z'));
    expect(w.start.toISOString()).toBe('2026-11-02T05:00:00.000Z');
    // DST ended in New York on 2026-11-01: the week is plain 168h
    expect(w.end.getTime() - w.start.getTime()).toBe(168 * H);
    const q = calendarPeriod('quarter', 'UTC', new Date('2026-11-05T12:00:00Z'));
    expect([q.start.toISOString(), q.end.toISOString()]).toEqual(['2026-10-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
  });
  it('rolling windows end at --at or now; --window replaces the SLO window; --from/--to are taken as they are', () => {
    const rolling = resolvePeriod({ kind: 'rolling', durationMs: 30 * D }, { at: new Date('2026-11-01T00:00:00Z'), now });
    expect(rolling.from.toISOString()).toBe('2026-10-02T00:00:00.000Z');
    const over = resolvePeriod({ kind: 'calendar', unit: 'month', timezone: 'UTC' }, { windowMs: 7 * D, now });
    expect(over.kind).toBe('rolling');
    expect(over.to.getTime() - over.from.getTime()).toBe(7 * D);
    const ex = resolvePeriod({ kind: 'rolling', durationMs: D }, { from: new Date(t('2026-10-01T00:00:00Z')), to: new Date(t('2026-10-03T00:00:00Z')), now });
    expect(ex.nominalMs).toBe(2 * D);
  });
  it('refuses contradictory flags and times in the future', () => {
    expect(() => checkPeriodFlags({ from: new Date(0) })).toThrow(/go together/);
    expect(() => checkPeriodFlags({ from: new Date(0), to: new Date(1), at: new Date(0) })).toThrow(/cannot be combined/);
    expect(() => checkPeriodFlags({ from: new Date(2), to: new Date(1) })).toThrow(/not before/);
    expect(() => resolvePeriod({ kind: 'rolling', durationMs: D }, { at: new Date('2027-01-01T00:00:00Z'), now })).toThrow(/future/);
    expect(() => calendarPeriod('month', 'Mars/Olympus', now)).toThrow(/IANA/);
  });
});

describe('queries', () => {
  const sli = { kind: 'errorRatio' as const, errors: 'sum(increase(e[{{range}}]))', total: 'sum(increase(t[{{range}}]))' };
  it('fills {{range}} with whole seconds', () => {
    expect(withRange('rate(x[{{range}}]) + rate(y[{{ range }}])', 90 * 60_000)).toBe('rate(x[5400s]) + rate(y[5400s])');
  });
  it('error ratio, alert and rule expressions', () => {
    expect(errorRatioQuery(sli, H)).toBe('((sum(increase(e[3600s]))) or vector(0)) / (sum(increase(t[3600s])))');
    expect(alertFiringQuery(sli, { longWindowMs: H, shortWindowMs: 300_000 }, 0.0144, 100)).toBe(
      '((((sum(increase(e[3600s]))) or vector(0)) / (sum(increase(t[3600s])))) > 0.0144) and ((((sum(increase(e[300s]))) or vector(0)) / (sum(increase(t[300s])))) > 0.0144) and ((sum(increase(t[3600s]))) >= 100)',
    );
    const slices = { kind: 'timeslices' as const, query: 'p95', max: 0.12, sliceMs: 300_000 };
    expect(errorRatioQuery(slices, H)).toBe('(count_over_time(((p95) > 0.12)[3600s:300s]) or vector(0)) / count_over_time(((p95) <= +Inf)[3600s:300s])');
    expect(ruleBreachQuery({ name: 'r', query: 'q', max: 0.12, forMs: 30 * 60_000, severity: 'critical' }, 60_000)).toBe('(q) > 0.12');
    expect(ruleBreachQuery({ name: 'r', query: 'q', maxDecrease: 0.05, forMs: D, severity: 'warning' }, 60_000)).toBe(
      '(q) < 0.95 * last_over_time((q)[60s:60s] offset 86400s)',
    );
  });
  it('steps and labels', () => {
    expect(alertStepMs(300_000)).toBe(60_000);
    expect(alertStepMs(6 * H)).toBe(72 * 60_000);
    expect(ruleStepMs({ forMs: 30 * 60_000 })).toBe(60_000);
    expect(ruleStepMs({ forMs: 100_000 })).toBe(10_000);
    expect([windowLabel(300_000), windowLabel(H), windowLabel(3 * D)]).toEqual(['5m', '1h', '3d']);
  });
  it('verdict: violated beats not enough data beats compliant; warning rules never decide', () => {
    const rule = (severity: 'critical' | 'warning', violated: boolean, insufficient = false) => ({ severity, violated, insufficient });
    expect(overallVerdict([{ status: 'compliant' }], [rule('warning', true)])).toBe('compliant');
    expect(overallVerdict([{ status: 'insufficient_data' }], [rule('critical', true)])).toBe('violated');
    expect(overallVerdict([{ status: 'compliant' }], [rule('critical', false, true)])).toBe('insufficient_data');
    expect(overallVerdict([{ status: 'violated' }, { status: 'insufficient_data' }], [])).toBe('violated');
  });
});
