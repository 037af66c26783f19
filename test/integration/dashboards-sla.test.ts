/**
 * SLA policy dashboards against a real Prometheus over backfilled data: every panel query parses,
 * and answers with data; the SLI, budget and burn-rate panels give the hand-computed numbers.
 *
 * The policy is an SLAPolicy file, turned into a dashboard by the built binary (`rollgate dashboard`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dashboardQueries } from '../../src/lib/dashboards/panels.js';
import { toPromql } from '../../src/lib/dashboards/query-vars.js';
import { findPromqlError } from '../../src/lib/plan/promql.js';
import { runCli } from '../support/cli.js';
import { backfillEpoch, renderOpenMetrics, startPrometheus, type OpenMetricsFamily, type PrometheusServer } from '../support/prometheus.js';

const END = backfillEpoch(); // unix seconds; data covers the 4 days before it
const START = END - 4 * 86_400;
let prometheus: PrometheusServer;

function scenario(): OpenMetricsFamily[] {
  const ok: Array<[number, number]> = [];
  const errors: Array<[number, number]> = [];
  const p95: Array<[number, number]> = [];
  for (let t = START, i = 0; t <= END; t += 60, i++) {
    // 9.95 ok/s and 0.05 errors/s: an error ratio of exactly 0.005 over any window.
    ok.push([t, i * 597]);
    errors.push([t, i * 3]);
    // p95 latency 100 ms, 200 ms during the last 2 hours.
    p95.push([t, t > END - 7_200 ? 0.2 : 0.1]);
  }
  return [
    {
      name: 'http_requests',
      type: 'counter',
      series: [
        { name: 'http_requests_total', labels: { service: 'checkout', code: '200' }, samples: ok },
        { name: 'http_requests_total', labels: { service: 'checkout', code: '500' }, samples: errors },
      ],
    },
    { name: 'checkout_p95_seconds', type: 'gauge', series: [{ name: 'checkout_p95_seconds', labels: { service: 'checkout' }, samples: p95 }] },
  ];
}

const POLICY = `apiVersion: rollgate/v1
kind: SLAPolicy
metadata: { name: checkout-sla, service: checkout }
prometheus: { url: "http://127.0.0.1:9" }
slos:
  - name: availability
    objective: 99
    window: 30d
    errorRatio:
      errors: sum(increase(http_requests_total{service="{{service}}",code=~"5.."}[{{range}}]))
      total: sum(increase(http_requests_total{service="{{service}}"}[{{range}}]))
    alerting: { runbook: https://runbooks.example/checkout-availability }
  - name: latency
    objective: 95
    window: 7d
    timeslices: { query: 'max(checkout_p95_seconds{service="checkout"})', max: 0.12, slice: 5m }
  - name: availability-ratio
    objective: 99.5
    window: { calendar: week, timezone: UTC }
    ratio:
      query: sum(rate(http_requests_total{service="checkout",code=~"5.."}[{{range}}])) / sum(rate(http_requests_total{service="checkout"}[{{range}}]))
    alerting: { ticket: { disable: true } }
rules:
  - { name: slow-p95, query: 'max(checkout_p95_seconds{service="checkout"})', max: 0.12, for: 30m, severity: critical }
  - { name: traffic-drop, query: 'sum(rate(http_requests_total{service="checkout"}[1h]))', maxDecrease: 5%, offset: 1d, for: 1h, severity: warning }
`;

interface Panel {
  type: string;
  title: string;
  targets?: Array<{ expr: string; legendFormat: string }>;
  fieldConfig?: { defaults?: { thresholds?: { steps: Array<{ value: number | null; color: string }> } } };
  links?: Array<{ url: string }>;
}

async function valuesAt(expr: string): Promise<number[]> {
  const url = `${prometheus.url}/api/v1/query?time=${END}&query=${encodeURIComponent(expr)}`;
  const body = (await (await fetch(url)).json()) as { status: string; error?: string; data?: { result?: Array<{ value: [number, string] }> } };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return (body.data?.result ?? []).map((r) => Number(r.value[1]));
}

let board: { panels: Panel[]; links: Array<{ url: string }>; templating: { list: Array<Record<string, unknown>> } };
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollgate-sla-dash-'));
  writeFileSync(join(dir, 'policy.yaml'), POLICY);
  const result = await runCli(['dashboard', join(dir, 'policy.yaml'), '--datasource', 'prom']);
  if (result.code !== 0) throw new Error(`rollgate dashboard failed (${result.code}): ${result.stderr}`);
  board = JSON.parse(result.stdout) as typeof board;
  prometheus = await startPrometheus({ openMetrics: renderOpenMetrics(scenario()), maxBlockDuration: '720h', readyTimeoutMs: 120_000 });
}, 180_000);

afterAll(async () => {
  await prometheus?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('SLA policy dashboard over backfilled data', () => {
  const panels = (): Panel[] => board.panels.filter((p) => p.type !== 'row');
  const panel = (title: string): Panel => {
    const found = panels().find((p) => p.title === title);
    if (!found) throw new Error(`no panel "${title}" in ${panels().map((p) => p.title).join(', ')}`);
    return found;
  };
  const first = async (title: string, target = 0): Promise<number> => {
    const values = await valuesAt(toPromql(panel(title).targets![target]!.expr, { service: 'checkout' }));
    expect(values, title).toHaveLength(1);
    return values[0]!;
  };

  it('every panel query is valid PromQL and answered with finite numbers', async () => {
    const queries = dashboardQueries(board as never);
    expect(queries.length).toBeGreaterThanOrEqual(25);
    for (const { panel: title, expr } of queries) {
      const promql = toPromql(expr, { service: 'checkout' });
      expect(findPromqlError(promql), `${title}: ${promql}`).toBeUndefined();
      const values = await valuesAt(promql);
      expect(values.length, `${title}: ${promql}`).toBeGreaterThan(0);
      for (const v of values) expect(Number.isFinite(v), `${title}: ${promql} = ${v}`).toBe(true);
    }
  }, 120_000);

  it('availability: SLI 99.5% against 99%, half the budget left, every burn rate 0.5 against 14.4/6/3/1', async () => {
    expect(await first('availability: SLI vs objective')).toBeCloseTo(0.995, 9);
    expect(panel('availability: SLI vs objective').fieldConfig?.defaults?.thresholds?.steps).toEqual([
      { value: null, color: 'red' },
      { value: 0.99, color: 'green' },
    ]);
    expect(await first('availability: error budget remaining')).toBeCloseTo(0.5, 6);
    const burns = panels().filter((p) => p.title.startsWith('availability: ') && p.title.includes('burn rate'));
    expect(burns.map((p) => p.title)).toEqual([
      'availability: page burn rate 1h/5m (14.4×)',
      'availability: page burn rate 6h/30m (6×)',
      'availability: ticket burn rate 1d/2h (3×)',
      'availability: ticket burn rate 3d/6h (1×)',
    ]);
    for (const burn of burns) {
      expect(burn.targets?.map((t) => t.legendFormat)).toHaveLength(2);
      for (let i = 0; i < 2; i++) expect(await first(burn.title, i)).toBeCloseTo(0.5, 6);
      expect(burn.fieldConfig?.defaults?.thresholds?.steps.at(-1)?.value).toBe(Number(burn.title.match(/\(([\d.]+)×\)/)![1]));
    }
    expect(panel('availability: SLI vs objective').links).toEqual([expect.objectContaining({ url: 'https://runbooks.example/checkout-availability' })]);
  });

  it('latency timeslices: the last 2h of slow slices burn 20× the budget over 1h; factors scaled to 7 days', async () => {
    expect(await first('latency: page burn rate 1h/5m (3.36×)')).toBeCloseTo(20, 6);
    // The subquery's 5m points over 6h (both ends included): 73, of which the 24 after END-2h are slow.
    expect(await first('latency: page burn rate 6h/30m (1.4×)')).toBeCloseTo((24 / 73) * 20, 9);
    // Over 7 days only the 4 days with data have points (4 × 288 + 1), 24 of them slow.
    expect(1 - (await first('latency: SLI vs objective'))).toBeCloseTo(24 / 1153, 9);
    expect(panels().some((p) => p.title === 'latency: ticket burn rate 1d/2h (0.7×)')).toBe(true);
  });

  it('a disabled ticket alert has no panel; the ratio SLI burns 0.005/0.005 = 1', async () => {
    const titles = panels().filter((p) => p.title.startsWith('availability-ratio: ')).map((p) => p.title);
    expect(titles.filter((t) => t.includes('ticket'))).toEqual([]);
    expect(await first('availability-ratio: page burn rate 1h/5m (3.36×)')).toBeCloseTo(1, 6);
  });

  it('rules: thresholds drawn, the change against a day ago computed', async () => {
    expect(await first('Rule slow-p95')).toBeCloseTo(0.2, 9);
    expect(panel('Rule slow-p95').fieldConfig?.defaults?.thresholds?.steps).toEqual([
      { value: null, color: 'green' },
      { value: 0.12, color: 'red' },
    ]);
    expect(await first('Rule traffic-drop: change vs 1d ago')).toBeCloseTo(0, 6);
    expect(panel('Rule traffic-drop: change vs 1d ago').fieldConfig?.defaults?.thresholds?.steps).toEqual([
      { value: null, color: 'red' },
      { value: -0.05, color: 'green' },
    ]);
  });

  it('has the datasource and service variables and the runbook links', () => {
    const variables = Object.fromEntries(board.templating.list.map((v) => [v.name as string, v]));
    expect(variables.datasource).toMatchObject({ type: 'datasource', current: { value: 'prom' } });
    expect(variables.service).toMatchObject({ type: 'custom', current: { value: 'checkout' } });
    expect(board.links.map((l) => l.url)).toEqual(['https://runbooks.example/checkout-availability']);
    // The service literal became the variable everywhere.
    for (const { expr } of dashboardQueries(board as never)) expect(expr).not.toContain('"checkout"');
  });
});
