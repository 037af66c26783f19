/**
 * The loop closed with real parts: the live test service, a real Prometheus scraping it (and
 * `rollgate serve`'s /metrics) with an alert rule on the canary's errors, a real Alertmanager
 * posting its webhook to `rollgate serve` with a Bearer token, and a rollout (the built binary)
 * whose own gates watch only latency, so they never see the fault. The alert rolls it back.
 *
 * Measured: fault injected → canary weight 0 at the router (written in docs/serve.md).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardQueries } from '../../src/lib/dashboards/panels.js';
import { toPromql } from '../../src/lib/dashboards/query-vars.js';
import { verifyChain } from '../../src/lib/evidence/chain.js';
import { startAlertmanager, type AlertmanagerServer } from '../support/alertmanager.js';
import { runCli, startCli } from '../support/cli.js';
import { freePort } from '../support/prometheus.js';
import { errorRateQuery, SERVICE, startLiveEnv, type LiveEnv } from '../support/rollout-fixture.js';
import { startServe, type ServeProcess } from '../support/serve.js';

const TOKEN = 'alertmanager-to-rollgate-0123456789';
let env: LiveEnv;
let alertmanager: AlertmanagerServer;
let serve: ServeProcess;

const canaryLatencyP95 = 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="{{service}}",track="canary"}[4s])))';

async function promValue(query: string): Promise<number | undefined> {
  const response = await fetch(`${env.prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await response.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
  const raw = body.data?.result?.[0]?.value[1];
  return raw === undefined ? undefined : Number(raw);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function statusJson(target: string): Promise<Record<string, unknown>> {
  const result = await runCli(['rollout', 'status', target, '--json', '--state', env.stateUrl]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

beforeAll(async () => {
  const servePort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'rollgate-am-e2e-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`);
  alertmanager = await startAlertmanager({
    config: [
      'route:',
      '  receiver: rollgate',
      "  group_by: ['alertname', 'service']",
      '  group_wait: 1s',
      '  group_interval: 1s',
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: rollgate',
      '    webhook_configs:',
      `      - url: http://127.0.0.1:${servePort}/v1/alertmanager`,
      '        send_resolved: true',
      '        http_config:',
      '          authorization:',
      '            type: Bearer',
      `            credentials_file: ${tokenFile}`,
      '',
    ].join('\n'),
  });
  const rules = join(dir, 'rules.yml');
  writeFileSync(
    rules,
    [
      'groups:',
      '  - name: canary',
      '    interval: 1s',
      '    rules:',
      '      - alert: CanaryErrors',
      `        expr: ${JSON.stringify(`${errorRateQuery('canary').replaceAll('{{service}}', SERVICE)} > 0.05`)}`,
      // The expression aggregates the service label away: the rule names the service.
      `        labels: { severity: critical, rollgate_action: rollback, service: ${SERVICE} }`,
      '        annotations: { summary: "canary 5xx ratio above 5%" }',
      '',
    ].join('\n'),
  );
  env = await startLiveEnv({
    extraScrapeTargets: [`127.0.0.1:${servePort}`],
    prometheusConfig: [`rule_files: [${JSON.stringify(rules)}]`, 'alerting:', '  alertmanagers:', `    - static_configs: [{ targets: ['127.0.0.1:${alertmanager.port}'] }]`].join('\n'),
  });
  serve = await startServe(['--token-file', tokenFile, '--state', env.stateUrl], { port: servePort });
}, 90_000);

afterAll(async () => {
  await serve?.stop();
  await alertmanager?.stop();
  await env?.stop();
});

describe('Alertmanager → rollgate serve → emergency rollback', () => {
  it('rolls back a canary whose own gates do not see the fault; /metrics agrees with rollout status throughout', async () => {
    const plan = env.writePlan('alert-only', {
      gates: [
        { name: 'latency', query: canaryLatencyP95, max: 0.5 },
        { name: 'stable-error-rate', query: errorRateQuery('stable'), max: 0.05 },
      ],
      steps: [
        { weight: 10, bake: '120s', gates: ['latency'] },
        { weight: 100, bake: '3s', gates: ['latency'] },
      ],
    });
    const run = startCli(['rollout', 'run', plan, '--json', '--state', env.stateUrl], { timeoutMs: 240_000 });
    await waitFor('10% canary', () => (env.service.state().weights[SERVICE] === 10 ? true : undefined));

    // /metrics, scraped by the real Prometheus, against `rollout status --json` while the step bakes.
    const status = await waitFor('a latency measurement in the status', async () => {
      const s = await statusJson(SERVICE);
      return s.step === 1 && s.stepIndex === 0 && s.weight === 10 ? s : undefined;
    });
    const rolloutId = status.rolloutId as string;
    const selector = `service="${SERVICE}",rollout="${rolloutId}"`;
    await waitFor('the gate value scraped', () => promValue(`rollgate_gate_last_value{service="${SERVICE}",gate="latency"}`));
    expect(await waitFor('weight scraped', () => promValue(`rollgate_rollout_weight{${selector}}`))).toBe(status.weight);
    expect(await promValue(`rollgate_rollout_step{${selector}}`)).toBe(status.step);
    expect(await promValue(`rollgate_rollout_status{${selector},status="running"}`)).toBe(1);
    expect(await promValue(`sum(rollgate_rollout_status{${selector}})`)).toBe(1);
    const events = await env.events(rolloutId);
    const lastLatency = events.filter((e) => e.type === 'measurement' && e.data.gate === 'latency').at(-1)?.data.value as number;
    expect(lastLatency).toBeGreaterThan(0);
    expect(await promValue(`rollgate_gate_last_value{service="${SERVICE}",gate="latency"}`)).toBeGreaterThan(0);
    expect(await promValue('up{job="test"} == 0')).toBeUndefined();

    // The plan's Grafana dashboard: every panel query, variables filled in, answered by this Prometheus with numbers.
    const board = await runCli(['dashboard', plan]);
    expect(board.code, board.stderr).toBe(0);
    const queries = dashboardQueries(JSON.parse(board.stdout) as never);
    expect(queries.length).toBeGreaterThanOrEqual(6);
    for (const { panel, expr } of queries) {
      const value = await promValue(toPromql(expr, { service: SERVICE, rateInterval: '5s' }));
      expect(value, `${panel}: ${expr}`).toBeTypeOf('number');
      expect(Number.isFinite(value), `${panel}: ${expr} = ${value}`).toBe(true);
    }

    // The fault: half the canary's requests fail. Its latency gate stays green.
    const faultAt = Date.now();
    env.service.inject({ track: 'canary', errorRate: 0.5 });
    const firingAt = await waitFor('the alert firing in Prometheus', async () => ((await promValue('ALERTS{alertname="CanaryErrors",alertstate="firing"}')) === 1 ? Date.now() : undefined), 60_000);
    const zeroAt = await waitFor('canary weight back to 0', () => (env.service.state().weights[SERVICE] === 0 ? Date.now() : undefined), 60_000);
    const result = await run.done;
    expect(result.code, result.stderr.slice(-2000)).toBe(1);
    const webhookLine = serve.cli.output().stderr.split('\n').find((l) => /POST \/v1\/alertmanager 200 .* requested/.test(l));
    expect(webhookLine, serve.cli.output().stderr).toContain(`rollout=${rolloutId}`);
    const webhookAt = Date.parse(webhookLine!.split(' ')[0]!);
    console.log(
      `fault → weight 0: ${zeroAt - faultAt} ms (fault → alert firing in Prometheus ${firingAt - faultAt} ms, → webhook answered by serve ${webhookAt - faultAt} ms, webhook → weight 0 ${zeroAt - webhookAt} ms)`,
    );

    // The evidence: rolled back because of the alert, which is recorded with the abort; the gates never failed.
    const log = await env.events(rolloutId);
    expect(verifyChain(log)).toMatchObject({ ok: true });
    const abort = log.find((e) => e.type === 'abort.requested');
    expect(abort?.data).toMatchObject({
      reason: expect.stringMatching(/^alert CanaryErrors: canary 5xx ratio above 5% \(http:\/\/.+\/graph\?g0\.expr=/),
      severity: 'critical',
      by: expect.stringContaining('Alertmanager receiver "rollgate"'),
      source: { kind: 'alertmanager', alertname: 'CanaryErrors', fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/), labels: expect.objectContaining({ service: SERVICE, rollgate_action: 'rollback' }) },
    });
    expect(log.filter((e) => e.type === 'measurement' && e.data.verdict === 'fail')).toEqual([]);
    expect(log.find((e) => e.type === 'rollback.started')?.data).toMatchObject({ trigger: 'abort' });
    expect(log.at(-1)?.type).toBe('rollout.rolled_back');

    // After: the scraped metrics say what `rollout status` says.
    const after = await statusJson(rolloutId);
    expect(after).toMatchObject({ status: 'rolled_back', weight: 0 });
    await waitFor('rolled_back scraped', async () => ((await promValue(`rollgate_rollout_status{${selector},status="rolled_back"}`)) === 1 ? true : undefined));
    expect(await promValue(`rollgate_rollout_weight{${selector}}`)).toBe(0);
    expect(await promValue(`rollgate_rollouts_total{service="${SERVICE}",outcome="rolled_back"}`)).toBe(1);
    expect(await promValue('rollgate_webhook_requests_total{outcome="requested"}')).toBe(1);
  }, 240_000);

  it('an orphaned rollout (runner killed): the alert request is recorded, rollgate rollback takes over and the evidence keeps the alert', async () => {
    env.service.inject({ track: 'canary', errorRate: 0 });
    env.service.setWeight(SERVICE, 0);
    // The first test's alert must have resolved before this fault fires a new one.
    await waitFor('the alert resolved', async () => ((await promValue('ALERTS{alertname="CanaryErrors",alertstate="firing"}')) === undefined ? true : undefined), 60_000);
    const plan = env.writePlan('alert-orphan', {
      gates: [
        { name: 'latency', query: canaryLatencyP95, max: 0.5 },
        { name: 'stable-error-rate', query: errorRateQuery('stable'), max: 0.05 },
      ],
      steps: [{ weight: 10, bake: '120s', gates: ['latency'] }],
    });
    const run = startCli(['rollout', 'run', plan, '--json', '--state', env.stateUrl], { timeoutMs: 240_000 });
    await waitFor('10% canary', () => (env.service.state().weights[SERVICE] === 10 ? true : undefined));
    const { rolloutId } = await waitFor('the rollout in the store', async () => {
      const s = await statusJson(SERVICE);
      return s.status === 'running' && s.weight === 10 ? (s as { rolloutId: string }) : undefined;
    });
    run.child.kill('SIGKILL');
    await run.done;
    const logBefore = serve.cli.output().stderr.length;
    env.service.inject({ track: 'canary', errorRate: 0.5 });
    const line = await waitFor('serve asked for the rollback', () => serve.cli.output().stderr.slice(logBefore).split('\n').find((l) => l.includes(`rollout=${rolloutId}`) && l.includes('requested')), 60_000);
    expect(line).toContain('runner=gone');
    // Nobody rolls it back on their own: traffic stays where the dead runner left it.
    expect(env.service.state().weights[SERVICE]).toBe(10);

    const rollback = await runCli(['rollback', SERVICE, '--reason', 'runner died during the alert', '--yes', '--state', env.stateUrl]);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(env.service.state().weights[SERVICE]).toBe(0);
    const log = await env.events(rolloutId);
    expect(verifyChain(log)).toMatchObject({ ok: true });
    expect(log.find((e) => e.type === 'abort.requested')?.data).toMatchObject({
      reason: 'runner died during the alert',
      takenOver: true,
      source: { kind: 'alertmanager', alertname: 'CanaryErrors', labels: expect.objectContaining({ service: SERVICE }) },
    });
    expect(log.at(-1)?.type).toBe('rollout.rolled_back');
  }, 240_000);
});
