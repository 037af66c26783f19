/**
 * Rules generation as pure data: whole outputs compared with golden files
 * (test/fixtures/sla/golden/; regenerate with UPDATE_GOLDEN=1 after a deliberate change and
 * review the diff), plus the properties the goldens would hide in bulk.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSlaPolicy } from '../../../src/lib/sla/load.js';
import { buildRuleGroups, errorBudgetRatio, SERIES, type AlertingRule, type RecordingRule } from '../../../src/lib/sla/rules.js';
import { rulesYaml, type RulesFormat } from '../../../src/lib/sla/rules-yaml.js';

const ROOT = join(import.meta.dirname, '../../..');
const GOLDEN = join(ROOT, 'test/fixtures/sla/golden');
const load = (file: string) => loadSlaPolicy(file, { cwd: ROOT, env: {} });

const cases: Array<[string, RulesFormat]> = [
  ['test/fixtures/sla/valid/policy-checkout.yaml', 'prometheus'],
  ['test/fixtures/sla/valid/sloth-k8s-apiserver.yaml', 'prometheus'],
  ['test/fixtures/sla/valid/openslo-multi-document.yaml', 'prometheus'],
  ['test/fixtures/sla/valid/sloth-raw-kubernetes.yaml', 'prometheus-operator'],
];

describe('golden files', () => {
  it.each(cases)('%s as %s', async (file, format) => {
    const policy = await load(file);
    const text = rulesYaml(policy, buildRuleGroups(policy), format);
    const golden = join(GOLDEN, `${file.split('/').pop()!.replace(/\.yaml$/, '')}.${format}.yaml`);
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(golden)) writeFileSync(golden, text);
    expect(text).toBe(readFileSync(golden, 'utf8'));
  });
});

describe('rules', () => {
  it('records the error ratio over 5m, 30m, 1h, 2h, 6h, 1d, 3d and the event-weighted period ratio (errors / total over 30d, not an average of 5m ratios)', async () => {
    const policy = await load('test/fixtures/sla/valid/policy-web.yaml');
    const records = buildRuleGroups(policy).flatMap((group) => group.rules).filter((rule): rule is RecordingRule => 'record' in rule);
    expect(records.map((rule) => rule.record)).toEqual([
      ...['5m', '30m', '1h', '2h', '6h', '1d', '3d'].map((window) => `rollgate:slo_error_ratio:rate${window}`),
      SERIES.periodErrorRatio,
      SERIES.objective,
      SERIES.errorBudget,
      SERIES.period,
      SERIES.budgetRemaining,
    ]);
    const period = records.find((rule) => rule.record === SERIES.periodErrorRatio)!;
    expect(period.expr).toBe('((sum(increase(http_requests_total{job="web",code=~"5.."}[2592000s]))) or vector(0)) / (sum(increase(http_requests_total{job="web"}[2592000s])))');
    expect(period.labels).toEqual({ service: 'web', slo: 'availability', period: '30d' });
    expect(records.find((rule) => rule.record === SERIES.objective)!.expr).toBe('vector(0.999)');
    expect(records.find((rule) => rule.record === SERIES.errorBudget)!.expr).toBe('vector(0.001)');
    expect(records.find((rule) => rule.record === SERIES.budgetRemaining)!.expr).toBe(`1 - (${SERIES.periodErrorRatio}{service="web", slo="availability"} / 0.001)`);
  });

  it('scales the burn factors to the period: a 7d SLO pages at 3.36× over 1h and 1.4× over 6h', async () => {
    const policy = await load('test/fixtures/sla/valid/policy-checkout.yaml');
    const payments = buildRuleGroups(policy).find((group) => group.name === 'rollgate-checkout-payments-success-alerts')!;
    const [page, ...rest] = payments.rules as AlertingRule[];
    expect(rest).toEqual([]);
    expect(page!.labels).toEqual({ severity: 'page' });
    expect(page!.expr).toContain('rollgate:slo_error_ratio:rate1h{service="checkout", slo="payments-success"} > (3.36 * 0.005)');
    expect(page!.expr).toContain('rollgate:slo_error_ratio:rate30m{service="checkout", slo="payments-success"} > (1.4 * 0.005)');
    expect(page!.annotations!.budget_consumed).toBe('2% in 1h, or 5% in 6h of the 7d error budget');
  });

  it('labels severity page/ticket unless the policy overrides it; runbook and annotations carried', async () => {
    const policy = await load('test/fixtures/sla/valid/policy-checkout.yaml');
    const alerts = buildRuleGroups(policy).find((group) => group.name === 'rollgate-checkout-availability-alerts')!.rules as AlertingRule[];
    expect(alerts.map((alert) => [alert.alert, alert.labels])).toEqual([
      ['CheckoutAvailabilityBudgetBurn', { severity: 'page', team: 'payments', routing_key: 'payments-oncall' }],
      ['CheckoutAvailabilityBudgetBurn', { severity: 'warning', team: 'payments' }],
    ]);
    expect(alerts[0]!.annotations!.runbook_url).toBe('https://runbooks.example.com/checkout/availability');
    // minEvents: each window must hold 100 events to count.
    expect(alerts[0]!.expr).toContain('rollgate:slo_events:total1h{service="checkout", slo="availability"} >= 100');
  });

  it('timeslices: a per-slice bad indicator (1 bad, 0 good, nothing without data), ratios are its averages', async () => {
    const policy = await load('test/fixtures/sla/valid/policy-checkout.yaml');
    const sli = buildRuleGroups(policy).find((group) => group.name === 'rollgate-checkout-latency-sli')!.rules as RecordingRule[];
    expect(sli[0]!.record).toBe(SERIES.sliceBad);
    expect(sli[0]!.expr).toMatch(/> 0\.12\) \* 0 \+ 1\) or \(\(.*<= \+Inf\) \* 0\)$/);
    expect(sli[4]!).toMatchObject({ record: 'rollgate:slo_error_ratio:rate2h', expr: `avg_over_time(${SERIES.sliceBad}{service="checkout", slo="latency"}[2h])` });
  });

  it('policy rules become threshold alerts held for their `for`', async () => {
    const policy = await load('test/fixtures/sla/valid/policy-checkout.yaml');
    const group = buildRuleGroups(policy).find((entry) => entry.name === 'rollgate-checkout-rules')!;
    expect(group.rules.map((rule) => [(rule as AlertingRule).alert, (rule as AlertingRule).for, rule.labels?.severity])).toEqual([
      ['CheckoutCoordinationLatency', '30m', 'critical'],
      ['CheckoutCacheHitDegradation', '1d', 'critical'],
    ]);
  });

  it('disabled alerts are left out; Sloth ticket_alert.disable is honoured', async () => {
    const policy = await load('test/fixtures/sla/valid/sloth-k8s-apiserver.yaml');
    const latency = buildRuleGroups(policy).find((group) => group.name === 'rollgate-k8s-apiserver-requests-latency-alerts')!;
    expect(latency.rules.map((rule) => rule.labels?.severity)).toEqual(['critical']);
  });

  it('error budget without floating-point noise', () => {
    expect([99.9, 99, 99.95, 95].map(errorBudgetRatio)).toEqual([0.001, 0.01, 0.0005, 0.05]);
  });
});
