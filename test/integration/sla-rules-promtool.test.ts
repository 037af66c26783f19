/**
 * `rollgate sla rules` judged by Prometheus' own tools:
 * - `promtool check rules` accepts the output of every fixture and playbook, in both formats;
 * - `promtool test rules` feeds synthetic series through Prometheus' rule engine: the page alert
 *   fires on a full outage within the workbook's detection time, stays silent at a 0.5× burn, the
 *   ticket alert fires on a sustained 2× burn (and not before the workbook says);
 * - for a Sloth spec, rollgate's alerts fire exactly when Sloth's own generated rules fire
 *   (test/fixtures/sla/sloth-generated/) on the same series.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { burnAlertWindows, detectionTimeMs } from '../../src/lib/sla/burn-windows.js';
import { loadSlaPolicy } from '../../src/lib/sla/load.js';
import { buildRuleGroups, type AlertingRule } from '../../src/lib/sla/rules.js';
import { rulesYaml, type RulesFormat } from '../../src/lib/sla/rules-yaml.js';

const ROOT = join(import.meta.dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures/sla');
const work = mkdtempSync(join(tmpdir(), 'rollgate-sla-rules-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  code: number;
  output: string;
}

function promtool(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile('promtool', args, { cwd: work, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

async function generate(file: string, format: RulesFormat = 'prometheus'): Promise<{ text: string; groups: ReturnType<typeof buildRuleGroups> }> {
  const policy = await loadSlaPolicy(file, { cwd: ROOT, env: {} });
  const groups = buildRuleGroups(policy);
  return { text: rulesYaml(policy, groups, format), groups };
}

/**
 * promtool's series notation from per-step increments: `[[steps, increment], ...]` after a
 * starting value; `a+bxn` expands to n+1 values, so each run of k steps is written `v+b x (k-1)`.
 */
function counter(start: number, runs: Array<[steps: number, increment: number]>): string {
  const parts = [`${start}`];
  let value = start;
  for (const [steps, increment] of runs) {
    parts.push(`${value + increment}+${increment}x${steps - 1}`);
    value += increment * steps;
  }
  return parts.join(' ');
}

const firing = (selector: string) => `ALERTS{alertstate="firing", ${selector}}`;

/** Runs one promtool test file; the output is returned for the assertion message. */
async function promtoolTest(name: string, ruleFiles: string[], test: Record<string, unknown>): Promise<Run> {
  const { group_eval_order: order, ...rest } = test;
  writeFileSync(join(work, name), stringify({ rule_files: ruleFiles, evaluation_interval: test.interval, ...(order ? { group_eval_order: order } : {}), tests: [rest] }, { lineWidth: 0 }));
  return promtool(['test', 'rules', name]);
}

describe('promtool check rules', () => {
  const files = [
    ...readdirSync(join(FIXTURES, 'valid')).map((name) => `test/fixtures/sla/valid/${name}`),
    'test/fixtures/sla/openslo-sibling/slo.yaml',
    ...readdirSync(join(ROOT, 'playbooks'))
      .filter((name) => name.startsWith('sla-'))
      .map((name) => `playbooks/${name}`),
  ].sort();

  it.each(files)('%s: both formats pass', async (file) => {
    const stem = file.replace(/[^A-Za-z0-9]+/g, '-');
    const plain = await generate(file, 'prometheus');
    writeFileSync(join(work, `${stem}.rules.yaml`), plain.text);
    const operator = await generate(file, 'prometheus-operator');
    const resource = parse(operator.text) as { apiVersion: string; kind: string; metadata: { name: string }; spec: { groups: unknown[] } };
    expect(resource).toMatchObject({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule' });
    expect(resource.metadata.name).toMatch(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/);
    // The operator hands spec.groups to Prometheus as a rule file: promtool judges exactly that.
    writeFileSync(join(work, `${stem}.operator.yaml`), stringify({ groups: resource.spec.groups }));
    expect(resource.spec.groups).toEqual(parse(plain.text).groups);
    const run = await promtool(['check', 'rules', `${stem}.rules.yaml`, `${stem}.operator.yaml`]);
    expect(run.output).toMatch(/SUCCESS/);
    expect(run.code, run.output).toBe(0);
  });
});

describe('promtool test rules: the workbook alerts on synthetic series', () => {
  const D = 86_400_000;
  const ids = 'service="web", slo="availability"';
  let rulesWritten: Promise<ReturnType<typeof buildRuleGroups>> | undefined;
  const rules = (): Promise<ReturnType<typeof buildRuleGroups>> =>
    (rulesWritten ??= generate('test/fixtures/sla/valid/policy-web.yaml').then(({ text, groups }) => {
      writeFileSync(join(work, 'web.rules.yaml'), text);
      return groups;
    }));
  const alertOf = (groups: ReturnType<typeof buildRuleGroups>, severity: string): AlertingRule =>
    groups.flatMap((group) => group.rules).find((rule): rule is AlertingRule => 'alert' in rule && rule.labels?.severity === severity)!;

  /**
   * Recording and alerting rules sit in separate groups (as Sloth's do), and Prometheus runs
   * groups independently: an alert may see ratios recorded one evaluation earlier. promtool's
   * order of groups is arbitrary unless `group_eval_order` fixes it: both cases are tested.
   */
  it.each([
    { phase: 'recordings evaluated first (best case)', order: ['rollgate-web-availability-sli', 'rollgate-web-availability-meta', 'rollgate-web-availability-alerts'], lag: 0 },
    { phase: 'alerts evaluated first (one evaluation behind, worst case)', order: ['rollgate-web-availability-alerts', 'rollgate-web-availability-sli', 'rollgate-web-availability-meta'], lag: 1 },
  ])('pages on a full outage at the first evaluation after the workbook detection time (0.001 × 1h × 14.4 = 51.84s): $phase', async ({ order, lag }) => {
    await rules();
    // 7h of clean traffic (1000 requests a minute), then every request fails from minute 421.
    const cleanSteps = 7 * 60;
    const detection = detectionTimeMs(burnAlertWindows(30 * D)[0]!, 99.9, 1);
    const firstEvaluation = Math.ceil(detection / 60_000) + lag;
    expect(Math.ceil(detection / 60_000)).toBe(1);
    const pageAlert = { labels: `ALERTS{alertname="WebAvailabilityErrorBudgetBurn", alertstate="firing", severity="page", team="web", ${ids}}`, value: 1 };
    const run = await promtoolTest(`outage-${lag}.test.yaml`, ['web.rules.yaml'], {
      interval: '1m',
      ...(order ? { group_eval_order: order } : {}),
      input_series: [
        { series: 'http_requests_total{job="web", code="200"}', values: counter(100_000, [[cleanSteps, 1000], [30, 0]]) },
        { series: 'http_requests_total{job="web", code="500"}', values: counter(1000, [[cleanSteps, 0], [30, 1000]]) },
      ],
      promql_expr_test: [
        { expr: firing('severity="page"'), eval_time: `${cleanSteps + firstEvaluation}m`, exp_samples: [pageAlert] },
        { expr: firing('severity="page"'), eval_time: `${cleanSteps + firstEvaluation - 1}m`, exp_samples: [] },
        { expr: firing('severity="page"'), eval_time: `${cleanSteps + 20}m`, exp_samples: [pageAlert] },
      ],
    });
    expect(run.code, run.output).toBe(0);
  }, 300_000);

  const order = ['rollgate-web-availability-sli', 'rollgate-web-availability-meta', 'rollgate-web-availability-alerts'];

  it('stays silent at a 0.5× burn held for 4 days: no page, no ticket', async () => {
    await rules();
    // 5-minute samples keep four days cheap; 10000 requests per 5m, 5 of them errors (0.05%).
    const steps = 4 * 288;
    const run = await promtoolTest('half-burn.test.yaml', ['web.rules.yaml'], {
      interval: '5m',
      group_eval_order: order,
      input_series: [
        { series: 'http_requests_total{job="web", code="200"}', values: counter(1_000_000, [[steps, 9995]]) },
        { series: 'http_requests_total{job="web", code="500"}', values: counter(1000, [[steps, 5]]) },
      ],
      promql_expr_test: Array.from({ length: 16 }, (_, index) => ({ expr: firing(ids), eval_time: `${(index + 1) * 6}h`, exp_samples: [] })),
    });
    expect(run.code, run.output).toBe(0);
  }, 300_000);

  it('tickets on a sustained 2× burn once 10% of the budget is gone in 3 days (after 36h), never pages; annotations as generated', async () => {
    const groups = await rules();
    const ticket = alertOf(groups, 'ticket');
    // 3.5 clean days, then 2 days at 0.2% errors: the 3d window passes 1× after 1.5 days.
    const clean = 3.5 * 288;
    const burning = 2 * 288;
    const start = clean * 5;
    const at = (hours: number) => `${start + hours * 60}m`;
    const run = await promtoolTest('double-burn.test.yaml', ['web.rules.yaml'], {
      interval: '5m',
      group_eval_order: order,
      input_series: [
        { series: 'http_requests_total{job="web", code="200"}', values: counter(1_000_000, [[clean, 10_000], [burning, 9980]]) },
        { series: 'http_requests_total{job="web", code="500"}', values: counter(1000, [[clean, 0], [burning, 20]]) },
      ],
      promql_expr_test: [
        ...[1, 12, 35].map((hours) => ({ expr: firing(ids), eval_time: at(hours), exp_samples: [] })),
        ...[37, 47].map((hours) => ({ expr: firing('severity="page"'), eval_time: at(hours), exp_samples: [] })),
      ],
      alert_rule_test: [37, 47].map((hours) => ({
        eval_time: at(hours),
        alertname: 'WebAvailabilityErrorBudgetBurn',
        exp_alerts: [{ exp_labels: { severity: 'ticket', team: 'web', service: 'web', slo: 'availability' }, exp_annotations: ticket.annotations }],
      })),
    });
    expect(ticket.annotations).toMatchObject({ runbook_url: 'https://runbooks.example.com/web/availability', budget_consumed: '10% in 1d, or 10% in 3d of the 30d error budget' });
    expect(run.code, run.output).toBe(0);
  }, 300_000);
});

describe('promtool test rules: a Sloth spec alerts exactly when Sloth\'s own rules do', () => {
  it('page and ticket firing of both SLOs agree at every 10 minutes of 3.5 days with outages, slow burns and recoveries; a disabled ticket stays absent in both', async () => {
    const { text } = await generate('test/fixtures/sla/valid/sloth-k8s-apiserver.yaml');
    writeFileSync(join(work, 'apiserver.rules.yaml'), text);
    copyFileSync(join(FIXTURES, 'sloth-generated/k8s-apiserver.yaml'), join(work, 'sloth.rules.yaml'));
    // 2-minute samples. Traffic 1000 per step; 5xx and 429 episodes (both are errors to the SLI):
    // a 20-minute outage at 29% (pages), a 6-hour 1.4% burn (pages on 6h/30m, tickets on 1d/2h),
    // a 30-hour 0.23% burn (tickets on 3d/6h), quiet stretches in between.
    const steps = (hours: number) => hours * 30;
    const errors5xx: Array<[number, number]> = [[steps(6), 0], [10, 400], [steps(14) - 10, 0], [steps(6), 14], [steps(14), 0], [steps(30), 0], [steps(14), 0]];
    const errors429: Array<[number, number]> = [[steps(6), 0], [10, 0], [steps(14) - 10, 0], [steps(6), 0], [steps(14), 0], [steps(30), 2.3], [steps(14), 0]];
    const ok: Array<[number, number]> = errors5xx.map(([count, increment], index) => [count, 1000 - increment - errors429[index]![1]]);
    const totalSteps = ok.reduce((sum, [count]) => sum + count, 0);
    // Latency (99% under 0.4s): 20% slow for an hour at 10h (pages on 1h/5m), 8% slow for 6 hours at 50h (pages on 6h/30m).
    const slow: Array<[number, number]> = [[steps(10), 0], [steps(1), 200], [steps(39), 0], [steps(6), 80], [steps(28), 0]];
    expect(slow.reduce((sum, [count]) => sum + count, 0)).toBe(totalSteps);
    const fast: Array<[number, number]> = slow.map(([count, increment]) => [count, 1000 - increment]);
    const latencyPage = { ours: 'alertname="K8sApiserverLatencyAlert", slo="requests-latency", severity="critical"', sloth: 'alertname="K8sApiserverLatencyAlert", sloth_slo="requests-latency", sloth_severity="page"' };
    const latencyTicket = { ours: 'alertname="K8sApiserverLatencyAlert", slo="requests-latency", severity!="critical"', sloth: 'alertname="K8sApiserverLatencyAlert", sloth_slo="requests-latency", sloth_severity="ticket"' };
    const page = { ours: 'alertname="K8sApiserverAvailabilityAlert", slo="requests-availability", severity="critical"', sloth: 'alertname="K8sApiserverAvailabilityAlert", sloth_slo="requests-availability", sloth_severity="page"' };
    const ticket = { ours: 'alertname="K8sApiserverAvailabilityAlert", slo="requests-availability", severity="warning"', sloth: 'alertname="K8sApiserverAvailabilityAlert", sloth_slo="requests-availability", sloth_severity="ticket"' };
    // Non-empty exactly when one rule set fires and the other does not.
    const disagreement = (pair: { ours: string; sloth: string }) =>
      `(count(${firing(pair.ours)}) and on() absent(${firing(pair.sloth)})) or (count(${firing(pair.sloth)}) and on() absent(${firing(pair.ours)}))`;
    const everyTenMinutes = Array.from({ length: Math.floor((totalSteps * 2) / 10) }, (_, index) => `${(index + 1) * 10}m`);
    const both = (pair: { ours: string; sloth: string }, time: string) => [
      { expr: `count(${firing(pair.ours)})`, eval_time: time, exp_samples: [{ labels: '{}', value: 1 }] },
      { expr: `count(${firing(pair.sloth)})`, eval_time: time, exp_samples: [{ labels: '{}', value: 1 }] },
    ];
    // Both rule sets in one fixed order, recordings before alerts: promtool's own order is arbitrary.
    const slothGroups = ['requests-availability', 'requests-latency'].flatMap((slo) => ['sli-recordings', 'meta-recordings', 'alerts'].map((part) => `sloth-slo-${part}-k8s-apiserver-${slo}`));
    const ourGroups = ['requests-availability', 'requests-latency'].flatMap((slo) => ['sli', 'meta', 'alerts'].map((part) => `rollgate-k8s-apiserver-${slo}-${part}`));
    const run = await promtoolTest('sloth.test.yaml', ['apiserver.rules.yaml', 'sloth.rules.yaml'], {
      interval: '2m',
      group_eval_order: [...slothGroups, ...ourGroups],
      input_series: [
        { series: 'apiserver_request_total{code="200"}', values: counter(500_000, ok) },
        { series: 'apiserver_request_total{code="500"}', values: counter(100, errors5xx) },
        { series: 'apiserver_request_total{code="429"}', values: counter(100, errors429) },
        { series: 'apiserver_request_duration_seconds_count{verb="GET"}', values: counter(200_000, slow.map(([count]) => [count, 1000])) },
        { series: 'apiserver_request_duration_seconds_bucket{verb="GET", le="0.4"}', values: counter(199_000, fast) },
      ],
      promql_expr_test: [
        ...everyTenMinutes.flatMap((time) => [
          { expr: disagreement(page), eval_time: time, exp_samples: [] },
          { expr: disagreement(ticket), eval_time: time, exp_samples: [] },
          { expr: disagreement(latencyPage), eval_time: time, exp_samples: [] },
          { expr: `count(${firing(latencyTicket.ours)}) or count(${firing(latencyTicket.sloth)})`, eval_time: time, exp_samples: [] },
        ]),
        // Not a vacuous agreement: both fire during the outage and the burns.
        ...both(page, '6h10m'),
        ...both(page, '25h'),
        ...both(ticket, '25h'),
        ...both(ticket, '70h'),
        ...both(latencyPage, '10h55m'),
        ...both(latencyPage, '55h30m'),
      ],
    });
    expect(run.code, run.output.slice(0, 4000)).toBe(0);
  }, 600_000);
});
