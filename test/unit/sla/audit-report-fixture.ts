/** A hand-built audit event log (three SLOs: compliant, violated, no data; two rules) for the report tests. */
import { chainedEvent } from '../../../src/lib/log/chain.js';
import type { RuleResult, SloResult } from '../../../src/lib/sla/audit-types.js';
import type { RolloutEvent } from '../../../src/lib/state/types.js';

export const slo = (name: string, status: SloResult['status'], extra: Partial<SloResult> = {}): SloResult => ({
  name,
  sliKind: 'errorRatio',
  objective: 99.9,
  from: '2026-10-02T00:00:00.000Z',
  to: '2026-11-01T00:00:00.000Z',
  period: 'rolling 30d',
  sli: status === 'insufficient_data' ? null : status === 'compliant' ? 0.9995 : 0.998,
  compliant: status === 'insufficient_data' ? null : status === 'compliant',
  status,
  reasons: status === 'insufficient_data' ? ['total: empty answer at 2026-11-01T00:00:00.000Z'] : [],
  lowTraffic: false,
  excluded: [{ from: '2026-10-20T01:00:00Z', to: '2026-10-20T03:00:00Z', reason: 'db <maintenance> & "drill"' }],
  includedSeconds: 2_584_800,
  counts: {},
  errorBudget: status === 'insufficient_data' ? null : { total: 0.001, consumed: 0.5, remaining: 0.5, totalSeconds: 2_584.8, remainingSeconds: 1_292.4 },
  burnRates: [{ window: '5m', rate: 0.5 }, { window: '1h', rate: null }],
  alerts: [{ severity: 'page', longWindow: '1h', shortWindow: '5m', factor: 14.4, threshold: 0.0144, firing: false, intervals: [{ start: '2026-10-10T12:02:00.000Z', end: '2026-10-10T12:35:00.000Z' }], stepSeconds: 60 }],
  // 2026-10-10T00:00Z and 2026-10-31T00:00Z, inside the period
  budgetCurve: [[1791590400, 0.9], [1793404800, 0.5]],
  queries: [],
  ...extra,
});
export const rule = (name: string, severity: RuleResult['severity'], violated: boolean): RuleResult => ({
  name,
  severity,
  condition: '> 0.12',
  for: '30m',
  violated,
  insufficient: false,
  reasons: [],
  violations: violated ? [{ start: '2026-10-12T10:00:00.000Z', end: '2026-10-12T10:45:00.000Z', durationSeconds: 2_700, peak: 0.3 }] : [],
  stepSeconds: 60,
  queries: [],
});

export function log(slos: SloResult[], rules: RuleResult[], verdict: string): RolloutEvent[] {
  const events: RolloutEvent[] = [];
  let head = { seq: 0, hash: '0'.repeat(64) };
  const add = (type: string, data: Record<string, unknown>): void => {
    const e = chainedEvent('audit-checkout-x', head, type, data, new Date('2026-12-01T12:00:00Z'));
    events.push(e);
    head = { seq: e.seq, hash: e.hash! };
  };
  add('audit.started', { policy: { name: 'checkout-sla', service: 'checkout', source: 'rollgate', file: 'sla.yaml', sha256: 'a'.repeat(64) }, prometheusUrl: 'http://user:hunter2@prom:9090', operator: 'ci' });
  for (const s of slos) add('audit.slo', { slo: s });
  for (const r of rules) add('audit.rule', { rule: r });
  add('audit.finished', { verdict, from: '2026-10-02T00:00:00.000Z', to: '2026-11-01T00:00:00.000Z', queryCount: 42 });
  return events;
}


export const AUDIT_EVENTS = log([slo('availability', 'compliant'), slo('latency', 'violated'), slo('ghost', 'insufficient_data')], [rule('p95', 'critical', true), rule('cache', 'warning', true)], 'violated');
