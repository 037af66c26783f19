/**
 * Backtest verdicts against `rollout run` on the same data. A real rollout runs (built binary)
 * against the live test service and a real Prometheus scraping it; then `plan backtest` replays
 * the same plan over the same window of the same Prometheus. Both must reach the same outcome, in
 * the same step, decided by the same gate.
 *
 * What makes it deterministic: the canary's health is held constant for the whole rollout (a
 * fault injected before it starts, or none), and the first step watches only the stable track, so
 * no verdict depends on the few hundred milliseconds by which live rounds drift from the
 * simulated schedule (actions and query latency take time live, none in the simulation).
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { resultLine, type LiveEnv } from '../../support/rollout-fixture.js';
import { useLiveEnv } from '../../support/use-live-env.js';

let env: LiveEnv;
useLiveEnv((live) => (env = live));

const STEPS = [
  // The canary's series appear with its first traffic: step 1 watches stable, the canary is judged from step 2.
  { weight: 10, bake: '5s', gates: ['stable-error-rate'] },
  { weight: 50, bake: '4s', gates: ['error-rate'] },
  { weight: 100, bake: '3s', gates: ['error-rate'] },
];
const DURATION_MS = 12_000;

interface BacktestDoc {
  summary: { runs: number };
  runs: Array<{ outcome: string; step: number; gate: string | null; value: number | null; reason: string; start: string }>;
}

async function rolloutThenBacktest(name: string): Promise<{ live: Record<string, unknown>; reasons: string[]; replay: BacktestDoc['runs'][number] }> {
  const plan = env.writePlan(name, { steps: STEPS });
  const run = await runCli(['rollout', 'run', plan, '--json', '--state', env.stateUrl]);
  const live = resultLine(run.stdout);
  expect(['promoted', 'rolled_back'], run.stderr).toContain(live.status);
  const events = await env.events(live.rolloutId as string);
  // The simulated rollout starts where the live one applied its first weight.
  const from = Date.parse(events.find((e) => e.type === 'step.started')!.at);
  const reasons = events.filter((e) => e.type === 'rollback.started').map((e) => String(e.data.reason));
  // Let the last scrapes of the window land before reading it back.
  await new Promise((r) => setTimeout(r, Math.max(0, from + DURATION_MS + 2_000 - Date.now())));
  const backtest = await runCli(['plan', 'backtest', plan, '--from', new Date(from).toISOString(), '--to', new Date(from + DURATION_MS).toISOString(), '--json']);
  expect(backtest.code, backtest.stderr).toBe(0);
  const doc = JSON.parse(backtest.stdout) as BacktestDoc;
  expect(doc.summary.runs).toBe(1);
  return { live, reasons, replay: doc.runs[0]! };
}

describe('backtest against rollout run on the same live data', () => {
  it('a faulty canary: both roll back in step 2, by error-rate', async () => {
    env.service.inject({ track: 'canary', errorRate: 0.5, latencyMs: 0 });
    const { live, reasons, replay } = await rolloutThenBacktest('replay-faulty');
    expect(live).toMatchObject({ status: 'rolled_back', step: 2, stepIndex: 1 });
    expect(reasons[0]).toMatch(/^gate error-rate failed: /);
    expect(replay).toMatchObject({ outcome: 'rolled_back', step: 2, stepIndex: 1, gate: 'error-rate' });
    expect(replay.reason).toMatch(/^gate error-rate failed: /);
    expect(replay.value).toBeGreaterThan(0.05);
  }, 90_000);

  it('a healthy canary: both promote', async () => {
    const { live, replay } = await rolloutThenBacktest('replay-healthy');
    expect(live).toMatchObject({ status: 'promoted', step: 3, stepIndex: 2, weight: 100 });
    expect(replay).toMatchObject({ outcome: 'promoted', step: 3, stepIndex: 2, gate: null });
  }, 90_000);
});
