/**
 * A generated 42-day scenario (2026-09-24 .. 2026-11-05 UTC, one sample a minute) whose audit
 * answers are computed by hand in sla-audit.test.ts. Everything is per minute m (a sample at time
 * t holds the sum of the increments of the minutes before t), so `increase()` over a window whose
 * both ends fall on samples is exact.
 *
 * checkout: 2000 requests/min. Errors/min: 1 (background: burn 0.5 at 99.9%), except
 *   A  2026-10-10 12:00–12:30  1000 (incident: 50%)
 *   M  2026-10-20 01:00–03:00  2000 (maintenance: 100%, excluded by the policy)
 *   S  2026-10-27 00:00 – 10-29 00:00  4 (sustained 2× burn)
 *   B1 2026-09-30 21:00–22:00, B2 2026-10-31 22:00–23:00, B3 2026-10-31 23:00–11-01 00:00  20
 *      (B1 just before and B3 just after October in Europe/Berlin, B2 its last local hour)
 * latency (gauge): 0.08, 0.2 during A and on 2026-10-15 08:00–09:00; no samples 2026-10-05 00:00–02:00.
 * coordination (gauge): 0.05; 0.2 on 2026-10-12 10:00–10:45 (0.3 at 10:20); 0.2 on 2026-10-14 10:00–10:10.
 * batch: 1/64 requests/min, half of them errors (far below any minEvents).
 */
import type { SlaPolicyModel, Slo } from '../../src/lib/sla/model.js';
import type { OpenMetricsFamily } from '../support/prometheus.js';

export const MIN = 60;
export const START = Date.parse('2026-09-24T00:00:00Z') / 1_000;
export const END = Date.parse('2026-11-05T00:00:00Z') / 1_000;
const at = (s: string): number => Date.parse(s) / 1_000;
const within = (t: number, from: string, to: string): boolean => t >= at(from) && t < at(to);

export const TOTAL_PER_MIN = 2_000;
export function errorsPerMinute(t: number): number {
  if (within(t, '2026-10-10T12:00:00Z', '2026-10-10T12:30:00Z')) return 1_000;
  if (within(t, '2026-10-20T01:00:00Z', '2026-10-20T03:00:00Z')) return 2_000;
  if (within(t, '2026-10-27T00:00:00Z', '2026-10-29T00:00:00Z')) return 4;
  if (within(t, '2026-09-30T21:00:00Z', '2026-09-30T22:00:00Z') || within(t, '2026-10-31T22:00:00Z', '2026-11-01T00:00:00Z')) return 20;
  return 1;
}
function latency(t: number): number | undefined {
  if (within(t, '2026-10-05T00:00:00Z', '2026-10-05T02:00:00Z')) return undefined;
  if (within(t, '2026-10-10T12:00:00Z', '2026-10-10T12:30:00Z') || within(t, '2026-10-15T08:00:00Z', '2026-10-15T09:00:00Z')) return 0.2;
  return 0.08;
}
function coordination(t: number): number {
  if (t === at('2026-10-12T10:20:00Z')) return 0.3;
  if (within(t, '2026-10-12T10:00:00Z', '2026-10-12T10:45:00Z') || within(t, '2026-10-14T10:00:00Z', '2026-10-14T10:10:00Z')) return 0.2;
  return 0.05;
}

/** Errors counted over the minutes of [from, to) (unix seconds): the hand count the audit must match. */
export function errorsBetween(from: number, to: number): number {
  let sum = 0;
  for (let t = from; t < to; t += MIN) sum += errorsPerMinute(t);
  return sum;
}

export function scenario(): OpenMetricsFamily[] {
  const requests: Array<[number, number]> = [];
  const errors: Array<[number, number]> = [];
  const lat: Array<[number, number]> = [];
  const coord: Array<[number, number]> = [];
  const batchTotal: Array<[number, number]> = [];
  const batchErrors: Array<[number, number]> = [];
  let req = 0;
  let err = 0;
  let bt = 0;
  let be = 0;
  for (let t = START; t <= END; t += MIN) {
    requests.push([t, req]);
    errors.push([t, err]);
    batchTotal.push([t, bt]);
    batchErrors.push([t, be]);
    const l = latency(t);
    if (l !== undefined) lat.push([t, l]);
    coord.push([t, coordination(t)]);
    req += TOTAL_PER_MIN;
    err += errorsPerMinute(t);
    bt += 1 / 64;
    be += 1 / 128;
  }
  return [
    {
      name: 'app_requests',
      type: 'counter',
      series: [
        { name: 'app_requests_total', labels: { service: 'checkout' }, samples: requests },
        { name: 'app_requests_total', labels: { service: 'batch' }, samples: batchTotal },
      ],
    },
    {
      name: 'app_errors',
      type: 'counter',
      series: [
        { name: 'app_errors_total', labels: { service: 'checkout' }, samples: errors },
        { name: 'app_errors_total', labels: { service: 'batch' }, samples: batchErrors },
      ],
    },
    { name: 'app_latency_p95_seconds', type: 'gauge', series: [{ name: 'app_latency_p95_seconds', labels: { service: 'checkout' }, samples: lat }] },
    { name: 'coordination_p95_seconds', type: 'gauge', series: [{ name: 'coordination_p95_seconds', samples: coord }] },
  ];
}

const D = 86_400_000;

/** The policy the tests audit over the scenario. */
export const CHECKOUT = {
  kind: 'errorRatio' as const,
  errors: 'sum(increase(app_errors_total{service="checkout"}[{{range}}]))',
  total: 'sum(increase(app_requests_total{service="checkout"}[{{range}}]))',
};
export const MAINTENANCE = { from: '2026-10-20T01:00:00Z', to: '2026-10-20T03:00:00Z', reason: 'planned database maintenance' };
const alerting = { labels: {}, annotations: {}, page: { labels: {}, annotations: {}, disable: false }, ticket: { labels: {}, annotations: {}, disable: false } };
export const slo = (name: string, rest: Partial<Slo> & Pick<Slo, 'sli'>): Slo => ({
  name,
  objective: 99.9,
  window: { kind: 'rolling', durationMs: 30 * D },
  exclude: [],
  labels: {},
  alerting,
  ...rest,
});

export const POLICY: SlaPolicyModel = {
  name: 'checkout-sla',
  service: 'checkout',
  source: 'rollgate',
  file: 'policy.yaml',
  sha256: '0'.repeat(64),
  slos: [
    slo('availability', { sli: CHECKOUT, exclude: [MAINTENANCE] }),
    slo('availability-with-maintenance', { sli: CHECKOUT }),
    slo('latency', { objective: 99, sli: { kind: 'timeslices', query: 'max(app_latency_p95_seconds{service="checkout"})', max: 0.12, sliceMs: 300_000 } }),
    slo('availability-ratio', {
      sli: { kind: 'ratio', query: 'sum(rate(app_errors_total{service="checkout"}[{{range}}])) / sum(rate(app_requests_total{service="checkout"}[{{range}}]))' },
      exclude: [MAINTENANCE],
    }),
    slo('batch', { minEvents: 1_000, sli: { kind: 'errorRatio', errors: 'sum(increase(app_errors_total{service="batch"}[{{range}}]))', total: 'sum(increase(app_requests_total{service="batch"}[{{range}}]))' } }),
    slo('batch-unguarded', { sli: { kind: 'errorRatio', errors: 'sum(increase(app_errors_total{service="batch"}[{{range}}]))', total: 'sum(increase(app_requests_total{service="batch"}[{{range}}]))' } }),
  ],
  rules: [
    { name: 'coordination-latency', query: 'coordination_p95_seconds', max: 0.12, forMs: 30 * 60_000, severity: 'critical' },
    { name: 'coordination-vs-yesterday', query: 'coordination_p95_seconds', maxIncrease: 0.5, offsetMs: D, forMs: 30 * 60_000, severity: 'warning' },
  ],
};

