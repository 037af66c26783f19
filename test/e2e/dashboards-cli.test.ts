/**
 * `rollgate dashboard` spawned as a user runs it: the plan dashboard (every gate's canary and
 * baseline query with its threshold, rollout weight/status from serve's /metrics, datasource and
 * service variables, runbook link), every panel query valid PromQL, --out, errors.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { dashboardQueries } from '../../src/lib/dashboards/panels.js';
import { toPromql } from '../../src/lib/dashboards/query-vars.js';
import { findPromqlError } from '../../src/lib/plan/promql.js';
import { ROOT, runCli } from '../support/cli.js';

let dir: string;
let planFile: string;

interface Panel {
  type: string;
  title: string;
  targets?: Array<{ expr: string; legendFormat: string; datasource: { uid: string } }>;
  fieldConfig?: { defaults?: { thresholds?: { steps: Array<{ value: number | null; color: string }> } } };
  links?: Array<{ url: string }>;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rollgate-dash-'));
  planFile = join(dir, 'plan.yaml');
  writeFileSync(
    planFile,
    stringify({
      apiVersion: 'rollgate/v1',
      kind: 'RolloutPlan',
      metadata: { name: 'payments-canary', service: 'payments' },
      prometheus: { url: 'http://127.0.0.1:9' },
      traffic: { exec: ['true', '{{weight}}'] },
      gates: [
        { name: 'errors', query: 'sum(rate(http_requests_total{service="{{service}}",track="canary",code=~"5.."}[{{range}}])) / sum(rate(http_requests_total{service="{{service}}",track="canary"}[{{range}}]))', max: 0.02 },
        {
          name: 'latency-vs-stable',
          query: 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="{{service}}",track="canary"}[5m])))',
          baseline: 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="{{service}}",track="stable"}[5m])))',
          maxIncrease: '10%',
        },
        { name: 'throughput-share', query: 'sum(rate(http_requests_total{service="{{service}}",track="canary"}[1m])) / sum(rate(http_requests_total{service="{{service}}"}[1m])) * 100 / {{weight}}', min: 0.8 },
      ],
      steps: [
        { weight: 10, bake: '1m', gates: ['errors', 'latency-vs-stable', 'throughput-share'] },
        { weight: 50, bake: '1m' },
        { weight: 100, bake: '1m' },
      ],
    }),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rollgate dashboard <plan>', () => {
  it('builds the plan dashboard: variables, serve metrics, every gate with its threshold, runbook link', async () => {
    const result = await runCli(['dashboard', planFile, '--datasource', 'prom-main', '--runbook', 'https://runbooks.example/payments']);
    expect(result.code, result.stderr).toBe(0);
    const board = JSON.parse(result.stdout) as { title: string; uid: string; templating: { list: Array<Record<string, unknown>> }; panels: Panel[]; links: Array<{ url: string; type: string }> };
    expect(board.title).toBe('rollgate rollout: payments-canary');
    const variables = Object.fromEntries(board.templating.list.map((v) => [v.name as string, v]));
    expect(variables.datasource).toMatchObject({ type: 'datasource', query: 'prometheus', current: { value: 'prom-main' } });
    expect(variables.service).toMatchObject({ type: 'query', current: { value: 'payments' }, definition: 'label_values(rollgate_rollout_weight, service)' });
    expect(variables.weight).toMatchObject({ type: 'custom', query: '10,50,100' });
    expect(board.links).toEqual([expect.objectContaining({ type: 'link', url: 'https://runbooks.example/payments' })]);

    const panels = board.panels.filter((p) => p.type !== 'row');
    for (const panel of panels) for (const t of panel.targets ?? []) expect(t.datasource.uid).toBe('${datasource}');
    const byTitle = Object.fromEntries(panels.map((p) => [p.title, p]));
    expect(byTitle['Canary weight']?.targets?.[0]?.expr).toBe('max by (rollout) (rollgate_rollout_weight{service="$service"})');
    expect(byTitle.Status?.targets?.[0]?.expr).toContain('rollgate_rollout_status{service="$service"}');

    const errors = byTitle['Gate errors']!;
    expect(errors.targets?.map((t) => t.expr)).toEqual(['sum(rate(http_requests_total{service="$service",track="canary",code=~"5.."}[$__rate_interval])) / sum(rate(http_requests_total{service="$service",track="canary"}[$__rate_interval]))']);
    expect(errors.fieldConfig?.defaults?.thresholds?.steps).toEqual([
      { value: null, color: 'green' },
      { value: 0.02, color: 'red' },
    ]);
    const latency = byTitle['Gate latency-vs-stable']!;
    expect(latency.targets?.map((t) => t.legendFormat)).toEqual(['canary', 'baseline', 'limit (baseline + maxIncrease)']);
    expect(latency.targets?.[1]?.expr).toContain('track="stable"');
    expect(latency.targets?.[2]?.expr).toMatch(/\) \* 1\.1$/);
    const share = byTitle['Gate throughput-share']!;
    expect(share.targets?.[0]?.expr).toContain('/ ${weight}');
    expect(share.fieldConfig?.defaults?.thresholds?.steps).toEqual([
      { value: null, color: 'red' },
      { value: 0.8, color: 'green' },
    ]);

    // Every panel query is valid PromQL once Grafana fills its variables in.
    const queries = dashboardQueries(board as never);
    expect(queries.length).toBeGreaterThanOrEqual(8);
    for (const { panel, expr } of queries) expect(findPromqlError(toPromql(expr, { service: 'payments' })), `${panel}: ${expr}`).toBeUndefined();
  });

  it('the shipped playbook gives a dashboard too; --out writes it atomically, --json says where', async () => {
    const out = join(dir, 'board.json');
    const result = await runCli(['dashboard', join(ROOT, 'playbooks/canary-standard.yaml'), '--out', out, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({ schemaVersion: 1, kind: 'plan', out, uid: 'rollgate-plan-checkout-canary', panels: 7 });
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ uid: 'rollgate-plan-checkout-canary' });
    const again = await runCli(['dashboard', join(ROOT, 'playbooks/canary-standard.yaml'), '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
  });

  it('refuses what is neither a plan nor a policy, and --recording-rules for a plan (exit 2)', async () => {
    const other = join(dir, 'other.yaml');
    writeFileSync(other, 'kind: Deployment\n');
    const result = await runCli(['dashboard', other]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${other}:1:1: `);
    expect(result.stderr).toContain('neither a RolloutPlan nor an SLA policy');
    const rr = await runCli(['dashboard', planFile, '--recording-rules']);
    expect(rr.code).toBe(2);
    expect(rr.stdout).toBe('');
  });
});

describe('rollgate dashboard <policy>', () => {
  it.each(['policy-checkout.yaml', 'sloth-k8s-apiserver.yaml', 'sloth-raw-kubernetes.yaml', 'openslo-multi-document.yaml', 'openslo-ratio-counters.yaml'])('%s (SLAPolicy, Sloth, OpenSLO): every SLO has SLI, budget and burn-rate panels; every query parses', async (fixture) => {
    const result = await runCli(['dashboard', join(ROOT, 'test/fixtures/sla/valid', fixture)]);
    expect(result.code, result.stderr).toBe(0);
    const board = JSON.parse(result.stdout) as { title: string; panels: Panel[]; templating: { list: Array<{ name: string }> } };
    expect(board.title).toMatch(/^rollgate SLOs: /);
    expect(board.templating.list.map((v) => v.name)).toEqual(['datasource', 'service']);
    const titles = board.panels.map((p) => p.title);
    const slos = board.panels.filter((p) => p.type === 'row' && p.title.startsWith('SLO '));
    expect(slos.length).toBeGreaterThan(0);
    expect(titles.filter((t) => t.endsWith(': SLI vs objective'))).toHaveLength(slos.length);
    expect(titles.filter((t) => t.endsWith(': error budget remaining'))).toHaveLength(slos.length);
    expect(titles.filter((t) => /: page burn rate 1h\/5m \(/.test(t)).length).toBeGreaterThan(0);
    const service = (board.templating.list[1] as unknown as { current: { value: string } }).current.value;
    for (const { panel, expr } of dashboardQueries(board as never)) expect(findPromqlError(toPromql(expr, { service })), `${panel}: ${expr}`).toBeUndefined();
  });

  it('the contract example: calendar month shown as 30d, disabled ticket alerts left out, runbook linked, rules drawn', async () => {
    const result = await runCli(['dashboard', join(ROOT, 'test/fixtures/sla/valid/policy-checkout.yaml')]);
    const board = JSON.parse(result.stdout) as { panels: Panel[]; links: Array<{ url: string }> };
    const titles = board.panels.map((p) => p.title);
    expect(titles).toContain('SLO latency: 99% over the calendar month (30d shown)');
    expect(titles).toContain('availability: page burn rate 1h/5m (14.4×)');
    expect(titles.filter((t) => t.startsWith('payments-success: ticket'))).toEqual([]);
    expect(titles).toContain('payments-success: page burn rate 1h/5m (3.36×)');
    expect(titles).toContain('Rule coordination-latency');
    expect(titles).toContain('Rule cache-hit-degradation: change vs 1d ago');
    expect(board.links.map((l) => l.url)).toEqual(['https://runbooks.example.com/checkout/availability']);
  });

  it('an invalid policy is file:line:col, exit 2, nothing on stdout', async () => {
    const file = join(ROOT, 'test/fixtures/sla/invalid/bad-calendar-unit.yaml');
    const result = await runCli(['dashboard', file]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/bad-calendar-unit\.yaml:\d+:\d+: .*slos\[0\]\.window\.calendar: "year" is not one of week, month, quarter/);
  });
});
