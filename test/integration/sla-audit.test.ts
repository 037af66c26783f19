/**
 * `sla audit` maths against a REAL Prometheus holding 42 days backfilled with promtool from the
 * generated scenario in sla-audit-scenario.ts. Every expected number is computed by hand from the
 * scenario's per-minute rates (the comments show the arithmetic); the audit gets them from
 * Prometheus through its own queries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/lib/errors.js';
import { createPrometheusClient } from '../../src/lib/prometheus/client.js';
import type { PrometheusApi } from '../../src/lib/prometheus/types.js';
import { auditPolicy } from '../../src/lib/sla/audit.js';
import type { AuditResult, SloResult } from '../../src/lib/sla/audit-types.js';
import type { SlaPolicyModel } from '../../src/lib/sla/model.js';
import { freePort, renderOpenMetrics, startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { CHECKOUT, MAINTENANCE, POLICY, TOTAL_PER_MIN, errorsBetween, scenario, slo } from './sla-audit-scenario.js';

const s = (iso: string): number => Date.parse(iso) / 1_000;
const apiFor = (url: string): PrometheusApi => createPrometheusClient({ url, timeoutMs: 60_000, retries: 0, headers: {}, insecureSkipVerify: false }, { env: {} });

let prometheus: PrometheusServer;
let api: PrometheusApi;
let rolling: AuditResult;
const NOW = new Date('2026-12-01T12:00:00Z');
const bySlo = (name: string): SloResult => rolling.slos.find((x) => x.name === name)!;

beforeAll(async () => {
  prometheus = await startPrometheus({ openMetrics: renderOpenMetrics(scenario()), maxBlockDuration: '720h', readyTimeoutMs: 120_000 });
  api = apiFor(prometheus.url);
  rolling = await auditPolicy(POLICY, api, { period: { at: new Date('2026-11-01T00:00:00Z') }, now: NOW });
}, 600_000);
afterAll(async () => prometheus?.stop());

describe('rolling 30 days ending 2026-11-01T00:00Z', () => {
  const from = s('2026-10-02T00:00:00Z');
  const to = s('2026-11-01T00:00:00Z');
  const mFrom = s(MAINTENANCE.from);
  const mTo = s(MAINTENANCE.to);

  it('errorRatio SLI is event-weighted over the period minus the maintenance window', () => {
    const a = bySlo('availability');
    // 43,080 included minutes: background 43,080 + A 30×999 + S 2,880×3 + B2/B3 120×19 = 83,970 errors
    expect(errorsBetween(from, mFrom) + errorsBetween(mTo, to)).toBe(83_970);
    expect(a.counts).toEqual({ errors: 83_970, total: 43_080 * TOTAL_PER_MIN });
    expect(a.sli).toBeCloseTo(1 - 83_970 / 86_160_000, 12);
    expect(a.compliant).toBe(true);
    expect(a.status).toBe('compliant');
    expect([a.from, a.to]).toEqual(['2026-10-02T00:00:00.000Z', '2026-11-01T00:00:00.000Z']);
    expect(a.excluded).toEqual([MAINTENANCE]);
    expect(a.includedSeconds).toBe(30 * 86_400 - 7_200);
  });

  it('error budget as ratios and as time', () => {
    const b = bySlo('availability').errorBudget!;
    expect(b.total).toBe(0.001);
    expect(b.consumed).toBeCloseTo(83_970 / 86_160_000 / 0.001, 9);
    expect(b.remaining).toBeCloseTo(1 - 83_970 / 86_160, 9);
    // 0.1% of (30 days - 2 hours) = 2,584.8 s
    expect(b.totalSeconds).toBeCloseTo(2_584.8, 9);
    expect(b.remainingSeconds).toBeCloseTo(2_584.8 * (1 - 83_970 / 86_160), 6);
    const curve = bySlo('availability').budgetCurve;
    expect(curve.length).toBeGreaterThan(100);
    expect(curve.length).toBeLessThanOrEqual(201);
    // burns down: never rises
    for (let i = 1; i < curve.length; i += 1) expect(curve[i]![1]).toBeLessThanOrEqual(curve[i - 1]![1] + 1e-12);
  });

  it('the same data without the exclusion is violated', () => {
    const raw = bySlo('availability-with-maintenance');
    // + M's 120 minutes × 2,000 errors
    expect(raw.counts).toEqual({ errors: 83_970 + 240_000, total: 43_200 * TOTAL_PER_MIN });
    expect(raw.compliant).toBe(false);
    expect(raw.status).toBe('violated');
    expect(rolling.verdict).toBe('violated');
  });

  it('burn rates at the end of the period', () => {
    const rates = Object.fromEntries(bySlo('availability').burnRates.map((r) => [r.window, r.rate]));
    const burn = (minutes: number): number => errorsBetween(to - minutes * 60, to) / (minutes * TOTAL_PER_MIN) / 0.001;
    // B2+B3 (20/min) fill the last two hours: 10× up to 2h; 6h: (2400+240)/720000; 1d: (2400+1320)/2.88M; 3d: 6600/8.64M
    expect(rates['5m']).toBeCloseTo(10, 9);
    expect(rates['2h']).toBeCloseTo(10, 9);
    expect(rates['6h']).toBeCloseTo(2_640 / 720, 9);
    expect(rates['1d']).toBeCloseTo(3_720 / 2_880, 9);
    expect(rates['3d']).toBeCloseTo(6_600 / 8_640, 9);
    for (const [window, minutes] of [['30m', 30], ['1h', 60], ['6h', 360], ['3d', 4_320]] as const) expect(rates[window]).toBeCloseTo(burn(minutes), 9);
  });

  it('every interval in which each burn-rate alert would have fired', () => {
    const alerts = bySlo('availability').alerts;
    const of = (severity: string, long: string) => alerts.find((a) => a.severity === severity && a.longWindow === long)!;
    expect(alerts.map((a) => [a.severity, a.longWindow, a.shortWindow, a.factor])).toEqual([
      ['page', '1h', '5m', 14.4],
      ['page', '6h', '30m', 6],
      ['ticket', '1d', '2h', 3],
      ['ticket', '3d', '6h', 1],
    ]);
    // A (50% errors from 12:00): the 1h ratio passes 1.44% at 12:02 (2,058 errors of 120,000); the 5m window is clean again at 12:35.
    expect(of('page', '1h').intervals).toEqual([{ start: '2026-10-10T12:02:00.000Z', end: '2026-10-10T12:35:00.000Z' }]);
    // 6-minute evaluations: first at 12:06, last at 12:54 (30m window still holds 6,000+ errors).
    expect(of('page', '6h').intervals).toEqual([{ start: '2026-10-10T12:06:00.000Z', end: '2026-10-10T13:00:00.000Z' }]);
    // 24-minute evaluations: 12:24 .. 14:24.
    expect(of('ticket', '1d').intervals).toEqual([{ start: '2026-10-10T12:24:00.000Z', end: '2026-10-10T14:48:00.000Z' }]);
    // 72-minute evaluations: A at 13:12 .. 18:00; S once the 3d window holds more than a day of it
    // (10-28 00:00 is exactly 1× and does not fire) until the 6h window holds less than 2h of it (03:36).
    expect(of('ticket', '3d').intervals).toEqual([
      { start: '2026-10-10T13:12:00.000Z', end: '2026-10-10T19:12:00.000Z' },
      { start: '2026-10-28T01:12:00.000Z', end: '2026-10-29T04:48:00.000Z' },
    ]);
    // The maintenance window itself never shows: evaluations whose short window overlaps it are left out.
    for (const a of alerts) expect(a.firing).toBe(false);
    const raw = bySlo('availability-with-maintenance').alerts.find((a) => a.longWindow === '1h')!;
    expect(raw.intervals).toContainEqual({ start: '2026-10-20T01:01:00.000Z', end: '2026-10-20T03:05:00.000Z' });
  });

  it('ratio SLI: time-averaged over 5-minute points that tile the included period', () => {
    const r = bySlo('availability-ratio');
    expect(r.counts).toEqual({ points: 8_616, expectedPoints: 8_616 });
    // each 5m window has 10,000 requests, so the average of window ratios equals the event ratio here
    expect(r.sli).toBeCloseTo(1 - 83_970 / 86_160_000, 12);
    expect(r.status).toBe('compliant');
  });

  it('timeslices: good slices among slices with a value; slices without traffic are not counted', () => {
    const l = bySlo('latency');
    // 8,640 five-minute slices; 23 without a sample (10-05 00:05..01:55); bad: 6 (A) + 12 (10-15 08:00..08:55)
    expect(l.counts).toEqual({ goodSlices: 8_599, badSlices: 18, slicesWithoutValue: 23 });
    expect(l.sli).toBeCloseTo(8_599 / 8_617, 12);
    expect(l.compliant).toBe(true);
  });

  it('low-traffic guard: fewer events than minEvents is never bad, and no alert fires on it', () => {
    const guarded = bySlo('batch');
    // 43,200 minutes × 1/64 = 675 requests, half errors
    expect(guarded.counts).toEqual({ errors: 337.5, total: 675 });
    expect(guarded.sli).toBe(0.5);
    expect(guarded.lowTraffic).toBe(true);
    expect(guarded.status).toBe('compliant');
    expect(guarded.reasons.join()).toMatch(/675 events, fewer than minEvents 1000/);
    for (const a of guarded.alerts) expect([a.firing, a.intervals]).toEqual([false, []]);
    const unguarded = bySlo('batch-unguarded');
    expect(unguarded.status).toBe('violated');
    const page = unguarded.alerts[0]!;
    expect(page.firing).toBe(true);
    expect(page.intervals).toEqual([{ start: '2026-10-02T00:00:00.000Z', end: '2026-11-01T00:00:00.000Z' }]);
  });

  it('rule violations: a breach longer than `for` once with its interval and peak, a shorter one not', () => {
    const [absolute, relative] = rolling.rules;
    expect(absolute).toMatchObject({ name: 'coordination-latency', violated: true, insufficient: false });
    expect(absolute!.violations).toEqual([{ start: '2026-10-12T10:00:00.000Z', end: '2026-10-12T10:45:00.000Z', durationSeconds: 2_700, peak: 0.3 }]);
    // +300% against the day before; 10-13 is lower than 10-12, and 10-14's 10 minutes are shorter than `for`
    expect(relative!.violations).toEqual([{ start: '2026-10-12T10:00:00.000Z', end: '2026-10-12T10:45:00.000Z', durationSeconds: 2_700, peak: 0.3 }]);
    expect(relative!.severity).toBe('warning');
  });

  it('memory stays flat: range queries are chunked under 11,000 points and never return raw samples', () => {
    const ranges = rolling.slos.flatMap((x) => x.queries).filter((q) => q.type === 'range');
    expect(ranges.length).toBeGreaterThan(0);
    for (const q of ranges) expect(q.points!).toBeLessThanOrEqual(10_000);
  });
});

describe('calendar month across the end of DST: October 2026 in Europe/Berlin', () => {
  it('counts exactly 745 local hours, from 2026-09-30T22:00Z to 2026-10-31T23:00Z', async () => {
    const policy: SlaPolicyModel = { ...POLICY, rules: [], slos: [slo('october', { sli: CHECKOUT, window: { kind: 'calendar', unit: 'month', timezone: 'Europe/Berlin' } })] };
    const result = await auditPolicy(policy, api, { period: { at: new Date('2026-10-15T10:00:00Z') }, now: NOW });
    const o = result.slos[0]!;
    expect([o.from, o.to]).toEqual(['2026-09-30T22:00:00.000Z', '2026-10-31T23:00:00.000Z']);
    // B1 (before) and B3 (after) are out, B2 (the last local hour) is in:
    // background 44,700 + A 29,970 + M 239,880 + S 8,640 + B2 1,140
    expect(errorsBetween(s(o.from), s(o.to))).toBe(324_330);
    expect(o.counts).toEqual({ errors: 324_330, total: 44_700 * TOTAL_PER_MIN });
    // factors scale with the 745-hour period: 2% × 745h / 1h
    expect(o.alerts[0]!.factor).toBe(14.9);
    expect(o.errorBudget!.totalSeconds).toBeCloseTo(0.001 * 745 * 3_600, 9);
  }, 300_000);
});

describe('not enough data, and no answer', () => {
  it('an SLI with no data is never compliant', async () => {
    const policy: SlaPolicyModel = { ...POLICY, rules: [], slos: [slo('ghost', { sli: { kind: 'errorRatio', errors: 'sum(increase(nope_errors[{{range}}]))', total: 'sum(increase(nope_total[{{range}}]))' } })] };
    const result = await auditPolicy(policy, api, { period: { at: new Date('2026-11-01T00:00:00Z') }, now: NOW });
    expect(result.verdict).toBe('insufficient_data');
    expect(result.slos[0]!.compliant).toBeNull();
    expect(result.slos[0]!.reasons.join()).toMatch(/total: empty answer/);
  }, 120_000);

  it('zero events: no data without minEvents, low traffic (compliant) with it', async () => {
    const idle = { kind: 'errorRatio' as const, errors: 'sum(increase(app_errors_total{service="batch"}[{{range}}])) * 0', total: 'sum(increase(app_requests_total{service="batch"}[{{range}}])) * 0' };
    const policy: SlaPolicyModel = { ...POLICY, rules: [], slos: [slo('idle', { sli: idle }), slo('idle-guarded', { sli: idle, minEvents: 1 })] };
    const result = await auditPolicy(policy, api, { period: { at: new Date('2026-11-01T00:00:00Z') }, now: NOW });
    expect(result.slos[0]).toMatchObject({ status: 'insufficient_data', compliant: null, sli: null });
    expect(result.slos[0]!.reasons).toContain('no events in the period');
    expect(result.slos[1]).toMatchObject({ status: 'compliant', compliant: true, lowTraffic: true, sli: null });
  }, 120_000);

  it('a rule over a series that does not exist is not enough data (critical) or reported (warning)', async () => {
    const policy: SlaPolicyModel = { ...POLICY, slos: [], rules: [{ name: 'ghost', query: 'nope_seconds', max: 1, forMs: 60_000, severity: 'critical' }] };
    const result = await auditPolicy(policy, api, { period: { at: new Date('2026-11-01T00:00:00Z') }, now: NOW });
    expect(result.rules[0]!.insufficient).toBe(true);
    expect(result.verdict).toBe('insufficient_data');
  }, 120_000);

  it('an answer with warnings (a partial response) is never a pass', async () => {
    // A deliberately broken peer: forwards to the real Prometheus and adds Thanos-style warnings.
    const { createServer } = await import('node:http');
    const proxy = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', async () => {
        const answer = await fetch(`${prometheus.url}${req.url}`, { method: 'POST', body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
        const json = (await answer.json()) as Record<string, unknown>;
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ ...json, warnings: ['partial response: store gateway 2 of 3 unreachable'] }));
      });
    });
    const port = await freePort();
    await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
    try {
      const policy: SlaPolicyModel = { ...POLICY, slos: [POLICY.slos[0]!], rules: [POLICY.rules[0]!] };
      const result = await auditPolicy(policy, apiFor(`http://127.0.0.1:${port}`), { period: { at: new Date('2026-11-01T00:00:00Z') }, now: NOW });
      expect(result.slos[0]!.status).toBe('insufficient_data');
      expect(result.slos[0]!.compliant).toBeNull();
      expect(result.slos[0]!.reasons.join()).toMatch(/partial answer \(partial response: store gateway 2 of 3 unreachable\)/);
      // the critical rule's violation is still reported (a breach seen is a breach), so the verdict is violated
      expect(result.rules[0]!.violated).toBe(true);
    } finally {
      proxy.close();
    }
  }, 120_000);

  it('Prometheus unreachable is a ProviderError naming the address', async () => {
    const down = apiFor(`http://127.0.0.1:${await freePort()}`);
    await expect(auditPolicy(POLICY, down, { period: { at: new Date('2026-11-01T00:00:00Z') }, now: NOW })).rejects.toBeInstanceOf(ProviderError);
  });
});
