/**
 * Prometheus killed mid-bake. `onError: hold` keeps the weight and goes on when Prometheus is back;
 * `onError: rollback` rolls back. A provider error is never a pass and never a gate failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../../src/lib/evidence/chain.js';
import { startCli } from '../../support/cli.js';
import { startPrometheus, type PrometheusServer } from '../../support/prometheus.js';
import { eventTypes, resultLine, SERVICE, startLiveEnv, type LiveEnv } from '../../support/rollout-fixture.js';

let env: LiveEnv;
let restarted: PrometheusServer | undefined;

beforeAll(async () => {
  env = await startLiveEnv();
}, 60_000);
afterAll(async () => {
  await restarted?.stop();
  await env?.stop();
});

async function waitForWeight(weight: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (env.service.state().weights[SERVICE] !== weight) {
    if (Date.now() > deadline) throw new Error(`never reached ${weight}%`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Prometheus killed mid-bake', () => {
  it('onError: rollback rolls back once errors exceed errorLimit', async () => {
    // Runs first: it needs Prometheus down, and the hold test brings a new one up on the same port.
    const plan = env.writePlan('outage-rollback', {
      analysis: { onError: 'rollback', errorLimit: 1 },
      steps: [{ weight: 10, bake: '5s' }, { weight: 25, bake: '30s' }, { weight: 100, bake: '2s' }],
      rollback: { verify: undefined },
      prometheus: { timeout: '1s' },
    });
    const runner = startCli(['rollout', 'run', plan, '--state', env.stateUrl, '--json']);
    await waitForWeight(25);
    await env.prometheus.stop();
    const result = await runner.done;
    expect(result.code, result.stderr).toBe(1);
    const res = resultLine(result.stdout);
    expect(res).toMatchObject({ status: 'rolled_back', weight: 0 });
    expect(String(res.reason)).toMatch(/cannot reach Prometheus at http:\/\/127\.0\.0\.1:\d+/);
    const events = await env.events(res.rolloutId as string);
    const errors = events.filter((e) => e.type === 'measurement' && e.data.verdict === 'error' && e.data.gate === 'error-rate');
    expect(errors.length).toBe(2); // errorLimit 1: the second consecutive error decides
    expect(events.find((e) => e.type === 'rollback.started')?.data).toMatchObject({ trigger: 'provider-error', fromWeight: 25 });
    expect(env.service.state().weights[SERVICE]).toBe(0);
  }, 60_000);

  it('onError: hold keeps the weight while Prometheus is down and finishes when it is back', async () => {
    restarted = await startPrometheus({ scrapeTargets: [`127.0.0.1:${env.service.port}`], port: env.prometheus.port });
    await new Promise((r) => setTimeout(r, 7_000)); // first scrapes of the new server
    const plan = env.writePlan('outage-hold', {
      analysis: { onError: 'hold', errorLimit: 1, errorTimeout: '60s', inconclusiveLimit: 30, onInconclusive: 'continue' },
      steps: [{ weight: 10, bake: '4s' }, { weight: 25, bake: '6s' }, { weight: 100, bake: '2s' }],
      rollback: { verify: undefined },
      prometheus: { timeout: '1s' },
    });
    const history = env.service.state().weightHistory.length;
    const runner = startCli(['rollout', 'run', plan, '--state', env.stateUrl, '--json']);
    await waitForWeight(25);
    await restarted.stop();
    await new Promise((r) => setTimeout(r, 4_000));
    expect(env.service.state().weights[SERVICE]).toBe(25); // held, not rolled back
    restarted = await startPrometheus({ scrapeTargets: [`127.0.0.1:${env.service.port}`], port: env.prometheus.port });

    const result = await runner.done;
    expect(result.code, result.stderr).toBe(0);
    const res = resultLine(result.stdout);
    expect(res).toMatchObject({ status: 'promoted', weight: 100 });
    expect(env.service.state().weightHistory.slice(history).map((h) => h.canary)).toEqual([10, 25, 100]);
    const events = await env.events(res.rolloutId as string);
    const holds = events.filter((e) => e.type === 'analysis.hold').map((e) => e.data.holding);
    expect(holds).toEqual([true, false]);
    expect(events.some((e) => e.type === 'measurement' && e.data.verdict === 'error' && e.data.errorType === 'unreachable')).toBe(true);
    expect(eventTypes(events)).not.toContain('rollback.started');
    expect(verifyChain(events).ok).toBe(true);
  }, 90_000);
});
