/**
 * `rollgate dashboard --recording-rules` against the rules `rollgate sla rules` writes, judged by
 * Prometheus' own rule engine (`promtool test rules`): the recorded series exist under the names
 * and labels the panels query, and the panels compute the hand-computed SLI, budget and burn rates.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { dashboardQueries } from '../../src/lib/dashboards/panels.js';
import { toPromql } from '../../src/lib/dashboards/query-vars.js';
import { runCli } from '../support/cli.js';

const run = promisify(execFile);
let dir: string;

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
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rollgate-dash-rr-'));
  writeFileSync(join(dir, 'policy.yaml'), POLICY);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dashboard --recording-rules over the rules sla rules writes', () => {
  it('every panel reads recorded series that promtool evaluates to the hand-computed values', async () => {
    const rules = await runCli(['sla', 'rules', join(dir, 'policy.yaml')]);
    expect(rules.code, rules.stderr).toBe(0);
    writeFileSync(join(dir, 'rules.yml'), rules.stdout);
    const dashboard = await runCli(['dashboard', join(dir, 'policy.yaml'), '--recording-rules']);
    expect(dashboard.code, dashboard.stderr).toBe(0);
    const queries = dashboardQueries(JSON.parse(dashboard.stdout) as never);
    // Raw series never appear: every error ratio is a recorded one.
    for (const { expr } of queries) {
      expect(expr).toMatch(/rollgate:slo_error_ratio:(?:rate\d+[mhd]|period)\{service="\$service", slo="availability"\}/);
      expect(expr).not.toContain('http_requests_total');
    }

    // 9.95 ok/s and 0.05 errors/s for ~3.5 days: an error ratio of 0.005 over every window,
    // so SLI 0.995, budget (1%) half spent, every burn rate 0.5.
    const expected = (panel: string): number => (panel.includes('SLI') ? 0.995 : 0.5);
    const ids = { service: 'checkout', slo: 'availability' };
    const tests = queries.map(({ panel, expr }) => {
      const promql = toPromql(expr, { service: 'checkout' });
      const labels = { ...ids, ...(promql.includes(':period') ? { period: '30d' } : {}) };
      return {
        expr: promql,
        eval_time: '4400m',
        exp_samples: [{ labels: `{${Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}="${v}"`).join(',')}}`, value: expected(panel) }],
      };
    });
    expect(tests.length).toBe(2 + 1 + 8);
    writeFileSync(
      join(dir, 'test.yml'),
      stringify({
        rule_files: [join(dir, 'rules.yml')],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: [
              { series: 'http_requests_total{service="checkout",code="200"}', values: '0+597x4400' },
              { series: 'http_requests_total{service="checkout",code="500"}', values: '0+3x4400' },
            ],
            promql_expr_test: tests,
          },
        ],
      }),
    );
    const result = await run('promtool', ['test', 'rules', join(dir, 'test.yml')]).catch((error: { stdout?: string; stderr?: string; code?: number }) => error);
    expect(`${result.stdout ?? ''}${result.stderr ?? ''}`).toContain('SUCCESS');
  }, 120_000);
});
