/** What each format becomes in the one SLO model (src/lib/sla/model.ts). */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PlanError } from '../../../src/lib/errors.js';
import { checkSlaPolicySource, loadSlaPolicy, looksLikePolicy } from '../../../src/lib/sla/load.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/sla');
const load = (file: string, options: { prometheusUrl?: string; env?: NodeJS.ProcessEnv } = {}) => loadSlaPolicy(file, { cwd: FIXTURES, env: {}, ...options });

describe('SLAPolicy', () => {
  it('fills {{service}}, keeps {{range}}, merges policy and SLO exclusions in time order, objective "99%" is 99', async () => {
    const policy = await load('valid/policy-checkout.yaml');
    expect(policy).toMatchObject({ name: 'checkout-sla', service: 'checkout', source: 'rollgate', prometheus: { url: 'http://localhost:9090' } });
    const [availability, latency, payments] = policy.slos;
    expect(availability!.sli).toEqual({ kind: 'errorRatio', errors: 'sum(increase(http_requests_total{service="checkout",code=~"5.."}[{{range}}]))', total: 'sum(increase(http_requests_total{service="checkout"}[{{range}}]))' });
    expect(availability!.window).toEqual({ kind: 'rolling', durationMs: 30 * 86_400_000 });
    expect(availability!.exclude.map((entry) => entry.reason)).toEqual(['planned database maintenance', 'datacenter failover drill']);
    expect(availability!.minEvents).toBe(100);
    expect(availability!.labels).toEqual({ team: 'payments' });
    expect(availability!.alerting).toMatchObject({ name: 'CheckoutAvailabilityBudgetBurn', runbookUrl: 'https://runbooks.example.com/checkout/availability', page: { labels: { routing_key: 'payments-oncall' }, disable: false } });
    expect(latency).toMatchObject({ objective: 99, window: { kind: 'calendar', unit: 'month', timezone: 'Europe/Berlin' }, sli: { kind: 'timeslices', max: 0.12, sliceMs: 300_000 } });
    expect(latency!.exclude).toHaveLength(1);
    expect(payments).toMatchObject({ sli: { kind: 'ratio' }, alerting: { ticket: { disable: true }, page: { disable: false } } });
    expect(policy.rules).toEqual([
      { name: 'coordination-latency', query: 'histogram_quantile(0.95, sum by (le) (rate(coordination_seconds_bucket[5m])))', max: 0.12, forMs: 1_800_000, severity: 'critical' },
      { name: 'cache-hit-degradation', query: 'sum(rate(cache_hits_total[1h])) / sum(rate(cache_requests_total[1h]))', maxDecrease: 0.05, offsetMs: 86_400_000, forMs: 86_400_000, severity: 'critical' },
    ]);
  });

  it('interpolates ${ENV} and lets --prometheus win over the file', async () => {
    expect((await load('valid/policy-checkout.yaml', { env: { PROMETHEUS_URL: 'http://prom:9090' } })).prometheus?.url).toBe('http://prom:9090');
    expect((await load('valid/policy-checkout.yaml', { prometheusUrl: 'http://override:9090' })).prometheus?.url).toBe('http://override:9090');
  });

  it('throws a PlanError carrying every positioned issue', async () => {
    const error = await load('invalid/rule-without-threshold.yaml').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PlanError);
    expect((error as PlanError).message.split('\n')).toHaveLength(3);
    expect((error as PlanError).message).toMatch(/^invalid\/rule-without-threshold\.yaml:13:5: rules\[0\]: has no threshold/);
  });
});

describe('Sloth', () => {
  it('prometheus/v1: {{.window}} becomes {{range}}, 30d period, labels merged, alerting kept, runbook annotation used as the link', async () => {
    const policy = await load('valid/sloth-k8s-apiserver.yaml');
    expect(policy).toMatchObject({ name: 'k8s-apiserver', service: 'k8s-apiserver', source: 'sloth', rules: [] });
    expect(policy.prometheus).toBeUndefined();
    const [availability, latency] = policy.slos;
    expect(availability).toMatchObject({
      name: 'requests-availability',
      objective: 99.9,
      window: { kind: 'rolling', durationMs: 30 * 86_400_000 },
      sli: { kind: 'errorRatio', errors: 'sum(rate(apiserver_request_total{code=~"(5..|429)"}[{{range}}]))', total: 'sum(rate(apiserver_request_total[{{range}}]))' },
      labels: { cluster: 'valhalla', component: 'kubernetes' },
      alerting: { name: 'K8sApiserverAvailabilityAlert', labels: { category: 'availability' }, page: { labels: { severity: 'critical' } }, ticket: { labels: { severity: 'warning' }, disable: false }, runbookUrl: 'https://runbooks.example.com/k8s-apiserver/availability' },
    });
    expect(latency!.alerting.ticket.disable).toBe(true);
    expect(latency!.sli.kind === 'errorRatio' && latency!.sli.errors).toContain('[{{range}}]');
  });

  it('the Kubernetes resource: raw SLI becomes a ratio; --prometheus supplies the server', async () => {
    const policy = await load('valid/sloth-raw-kubernetes.yaml', { prometheusUrl: 'http://prom:9090' });
    expect(policy).toMatchObject({ name: 'myservice-slos', service: 'myservice', source: 'sloth', prometheus: { url: 'http://prom:9090' } });
    expect(policy.slos[0]).toMatchObject({ objective: 99.5, sli: { kind: 'ratio' }, alerting: { name: 'MyServiceHighErrorRate', page: { labels: { severity: 'pageteam' } } } });
  });
});

describe('OpenSLO', () => {
  it('ratioMetric over counters: increase over {{range}}, errors = total - good, target 0.995 is 99.5, rolling 28d', async () => {
    const policy = await load('valid/openslo-ratio-counters.yaml');
    expect(policy).toMatchObject({ name: 'web-availability', service: 'web', source: 'openslo' });
    expect(policy.slos[0]).toMatchObject({
      name: 'web-availability',
      objective: 99.5,
      window: { kind: 'rolling', durationMs: 28 * 86_400_000 },
      sli: { kind: 'errorRatio', errors: '(sum(increase(http_requests_total{job="web"}[{{range}}]))) - (sum(increase(http_requests_total{job="web",code!~"5.."}[{{range}}])))', total: 'sum(increase(http_requests_total{job="web"}[{{range}}]))' },
    });
  });

  it('several documents: an SLI referenced by name, a calendar month, a thresholdMetric with Timeslices', async () => {
    const policy = await load('valid/openslo-multi-document.yaml');
    expect(policy.slos.map((slo) => slo.name)).toEqual(['search-availability', 'search-latency']);
    expect(policy.slos[0]).toMatchObject({ objective: 99.9, window: { kind: 'calendar', unit: 'month', timezone: 'Europe/Berlin' }, sli: { kind: 'errorRatio', errors: 'sum(increase(search_requests_total{code=~"5.."}[{{range}}]))' } });
    expect(policy.slos[1]).toMatchObject({ objective: 99, window: { kind: 'rolling', durationMs: 7 * 86_400_000 }, sli: { kind: 'timeslices', max: 0.25, sliceMs: 300_000 } });
  });

  it('an indicatorRef found in a file next to the SLO', async () => {
    const policy = await load('openslo-sibling/slo.yaml');
    expect(policy.slos[0]).toMatchObject({ name: 'api-availability', objective: 99.9, sli: { kind: 'errorRatio', total: 'sum(increase(api_requests_total[{{range}}]))' } });
  });

  it('ratioMetric with Timeslices: a slice is bad when its error ratio exceeds 1 - timeSliceTarget', async () => {
    const text = `apiVersion: openslo/v1
kind: SLO
metadata: { name: api }
spec:
  service: api
  indicator:
    metadata: { name: api-errors }
    spec:
      ratioMetric:
        counter: true
        bad: { metricSource: { type: Prometheus, spec: { query: 'req_total{code="500"}' } } }
        total: { metricSource: { type: Prometheus, spec: { query: req_total } } }
  timeWindow: [{ duration: 4w, isRolling: true }]
  budgetingMethod: Timeslices
  objectives: [{ target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: 1m }]
`;
    const checked = await checkSlaPolicySource(text, 'slo.yaml', { cwd: FIXTURES });
    expect(checked.issues).toEqual([]);
    expect(checked.policy!.slos[0]!.sli).toEqual({ kind: 'timeslices', query: '(sum(increase(req_total{code="500"}[60s]))) / (sum(increase(req_total[60s])))', max: 0.05, sliceMs: 60_000 });
  });
});

describe('format detection', () => {
  it('tells policies from plans', () => {
    expect(looksLikePolicy('apiVersion: rollgate/v1\nkind: SLAPolicy\n')).toBe(true);
    expect(looksLikePolicy('version: prometheus/v1\nservice: x\nslos: []\n')).toBe(true);
    expect(looksLikePolicy('apiVersion: openslo/v1\nkind: SLI\n---\napiVersion: openslo/v1\nkind: SLO\n')).toBe(true);
    expect(looksLikePolicy('apiVersion: rollgate/v1\nkind: RolloutPlan\n')).toBe(false);
    expect(looksLikePolicy('{ not yaml')).toBe(false);
  });

  it('several documents are only for OpenSLO', async () => {
    const checked = await checkSlaPolicySource('apiVersion: rollgate/v1\nkind: SLAPolicy\n---\napiVersion: rollgate/v1\nkind: SLAPolicy\n', 'p.yaml');
    expect(checked.issues.map((issue) => `${issue.line}:${issue.col}: ${issue.message}`)).toEqual(['3:1: one SLAPolicy per file: only OpenSLO files hold several documents']);
  });
});
