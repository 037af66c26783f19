/**
 * A rollout whose Prometheus answers with warnings (a Thanos/Mimir partial response) never
 * promotes on them (issue 7.1): the built binary against a small HTTP peer that answers every
 * query with a healthy value AND a warning, as a Thanos querier with a store down does. The
 * measurement events keep the warnings verbatim and the evidence report shows them.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/lib/state/open.js';
import { runCli } from '../support/cli.js';
import { startPrometheusStub, type PrometheusStub } from '../support/prometheus-stub.js';
import { resultLine } from '../support/rollout-fixture.js';

const PARTIAL = 'partial response: store 10.0.0.7:10901 (thanos-store-0) unavailable';

let stub: PrometheusStub;
let url: string;
let dir: string;
let warnings: string[] = [PARTIAL];

beforeAll(async () => {
  // Every query: a healthy value, with whatever warnings the test sets.
  stub = await startPrometheusStub(() => ({ value: '0.001', warnings }));
  url = stub.url;
  dir = await mkdtemp(join(tmpdir(), 'rollgate-partial-rollout-'));
});
afterAll(async () => {
  await stub?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function plan(name: string, onWarnings = 'inconclusive'): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(
    file,
    `apiVersion: rollgate/v1
kind: RolloutPlan
metadata: { name: partial, service: partial-${name} }
prometheus: { url: "${url}", timeout: 2s, onWarnings: ${onWarnings} }
traffic: { exec: ["true"] }
analysis: { interval: 1s, inconclusiveLimit: 0, onInconclusive: rollback }
gates:
  - name: error-rate
    query: sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))
    max: 0.01
steps:
  - { weight: 50, bake: 1s }
  - { weight: 100, bake: 1s }
`,
  );
  return file;
}

describe('rollout against a partial answer', () => {
  it('a healthy value with a warning is inconclusive: rolled back, never promoted; the warning is in the events and the report', async () => {
    warnings = [PARTIAL];
    const state = `file:${join(dir, 'state')}`;
    const run = await runCli(['rollout', 'run', await plan('default'), '--json', '--state', state], { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(1);
    const result = resultLine(run.stdout);
    expect(result.status).toBe('rolled_back');
    const store = await openStateStore(state);
    const events = await store.readEvents(result.rolloutId as string).finally(() => store.close());
    const measurements = events.filter((e) => e.type === 'measurement');
    expect(measurements.length).toBeGreaterThan(0);
    expect(measurements[0]!.data).toMatchObject({ verdict: 'inconclusive', warnings: [PARTIAL] });
    expect(String(measurements[0]!.data.reason)).toMatch(/^partial answer: Prometheus sent a warning/);
    expect(events.some((e) => e.type === 'rollout.promoted')).toBe(false);

    const md = await runCli(['evidence', 'report', result.rolloutId as string, '--format', 'md', '--state', state]);
    expect(md.code, md.stderr).toBe(0);
    expect(md.stdout).toContain(PARTIAL);
  }, 90_000);

  it('onWarnings: ignore promotes on the same answers, and still records the warnings', async () => {
    warnings = [PARTIAL];
    const state = `file:${join(dir, 'state-ignore')}`;
    const run = await runCli(['rollout', 'run', await plan('ignore', 'ignore'), '--json', '--state', state], { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    const result = resultLine(run.stdout);
    expect(result.status).toBe('promoted');
    const store = await openStateStore(state);
    const events = await store.readEvents(result.rolloutId as string).finally(() => store.close());
    const measurement = events.find((e) => e.type === 'measurement')!;
    expect(measurement.data).toMatchObject({ verdict: 'pass', warnings: [PARTIAL] });
  }, 90_000);
});
