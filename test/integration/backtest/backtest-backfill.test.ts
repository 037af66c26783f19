/**
 * `plan backtest` over backfilled data in a real Prometheus, with hand-placed breaches:
 *
 *   runs: 8 back-to-back simulated rollouts of 15 min (3 steps × 5 min, analysis every 30 s)
 *   run 2: one latency sample of 0.5 — a spike the 2m `for` window tolerates          → promoted
 *   run 4: error ratio 0.05 from +6m to +9m (in step 2)                                → rolled back by error-rate at +6m
 *   run 5: cache hit ratio 0.85 (a warning gate): recorded, decides nothing              → promoted
 *   run 7: latency 0.5 from +5m to +10m: sustained 2m first at +7m                       → rolled back by latency at +7m
 *   run 8: no error-ratio samples from +3m on: stale after 5 min, 3 inconclusive rounds → no_data at +9m
 *
 * Every measurement of the breached runs is also checked against a live `measureGate` (instant
 * and range queries) at the same time: the stored-data evaluation must give the same verdict,
 * value and reason as `rollout run` would.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../../src/lib/backtest/run-backtest.js';
import { roundSchedule } from '../../../src/lib/backtest/schedule.js';
import { SeriesStore } from '../../../src/lib/backtest/series-store.js';
import { gatesOfStep, registerNeeds, simulateRun } from '../../../src/lib/backtest/simulate.js';
import { measureGate } from '../../../src/lib/gates/measure.js';
import type { Measurement } from '../../../src/lib/gates/types.js';
import { loadPlan } from '../../../src/lib/plan/load.js';
import type { ResolvedPlan } from '../../../src/lib/plan/types.js';
import { createPrometheusClient } from '../../../src/lib/prometheus/client.js';
import { BIN, runCli } from '../../support/cli.js';
import { backfillEpoch, renderOpenMetrics, startPrometheus, type PrometheusServer } from '../../support/prometheus.js';

const T0 = backfillEpoch() - 4 * 3_600; // unix seconds, well in the past
const MIN = 60;
const RUN = 15 * MIN;
const run = (n: number): number => T0 + (n - 1) * RUN; // start of simulated rollout n (1-based)
const TIMES = Array.from({ length: ((8 * RUN + 20 * MIN) / 15) | 0 }, (_, i) => T0 - 10 * MIN + i * 15);

const errorRatio = (t: number): number => (t >= run(4) + 6 * MIN && t < run(4) + 9 * MIN ? 0.05 : 0.001);
const latency = (t: number): number => (t === run(2) + 5 * MIN || (t >= run(7) + 5 * MIN && t < run(7) + 10 * MIN) ? 0.5 : 0.1);
const cacheHit = (t: number): number => (t >= run(5) && t < run(6) ? 0.85 : 0.95);
const errorGap = (t: number): boolean => t >= run(8) + 3 * MIN && t < run(8) + 30 * MIN;

const OPEN_METRICS = renderOpenMetrics([
  { name: 'bt_error_ratio', type: 'gauge', series: [{ name: 'bt_error_ratio', labels: { track: 'canary' }, samples: TIMES.filter((t) => !errorGap(t)).map((t) => [t, errorRatio(t)]) }] },
  { name: 'bt_latency_p95', type: 'gauge', series: [{ name: 'bt_latency_p95', labels: { track: 'canary' }, samples: TIMES.map((t) => [t, latency(t)]) }] },
  { name: 'bt_cache_hit_ratio', type: 'gauge', series: [{ name: 'bt_cache_hit_ratio', samples: TIMES.map((t) => [t, cacheHit(t)]) }] },
]);

const PLAN = (url: string): string => `apiVersion: rollgate/v1
kind: RolloutPlan
metadata: { name: backtest-demo, service: checkout }
prometheus: { url: ${url} }
traffic: { exec: ["true"] }
analysis: { interval: 30s, failureLimit: 0, inconclusiveLimit: 2, onInconclusive: pause }
gates:
  - name: error-rate
    query: bt_error_ratio{track="canary"}
    max: 0.01
  - name: latency
    query: bt_latency_p95{track="canary"}
    max: 0.2
    for: 2m
  - name: cache-hit
    query: bt_cache_hit_ratio
    min: 0.9
    severity: warning
steps:
  - { weight: 10, bake: 5m }
  - { weight: 50, bake: 5m }
  - { weight: 100, bake: 5m }
`;

let prometheus: PrometheusServer;
let dir: string;
let planFile: string;
let plan: ResolvedPlan;
const iso = (seconds: number): string => new Date(seconds * 1_000).toISOString();

beforeAll(async () => {
  prometheus = await startPrometheus({ openMetrics: OPEN_METRICS });
  dir = mkdtempSync(join(tmpdir(), 'rollgate-backtest-'));
  planFile = join(dir, 'plan.yaml');
  writeFileSync(planFile, PLAN(prometheus.url));
  plan = await loadPlan(planFile, { env: {} });
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('plan backtest on backfilled data', () => {
  it('rolls back exactly the simulated rollouts the breaches fall in, tolerates the spike, reports the gap as no_data', async () => {
    const api = createPrometheusClient(plan.prometheus, { env: {} });
    const result = await runBacktest(plan, api, { from: new Date(run(1) * 1_000), to: new Date(run(9) * 1_000), expectHealthy: true });
    expect(result.runs.map((r) => r.outcome)).toEqual(['promoted', 'promoted', 'promoted', 'rolled_back', 'promoted', 'promoted', 'rolled_back', 'no_data']);
    expect(result.runs.map((r) => r.start)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => iso(run(n))));
    expect(result.every).toBe('15m');

    expect(result.runs[3]).toMatchObject({ step: 1, weight: 50, at: iso(run(4) + 6 * MIN), end: iso(run(4) + 6 * MIN), gate: 'error-rate', value: 0.05, reason: 'gate error-rate failed: 0.05 > max 0.01 (1 failure, limit 0)' });
    expect(result.runs[6]).toMatchObject({ step: 1, weight: 50, at: iso(run(7) + 7 * MIN), gate: 'latency', value: 0.5 });
    expect(result.runs[6]!.reason).toBe('gate latency failed: breached for 2m (all 5 points); closest 0.5 > max 0.2 (1 failure, limit 0)');
    // Last sample at +2m45s, stale from +7m45s: inconclusive at +8m, +8m30s, +9m; the third is beyond inconclusiveLimit 2.
    expect(result.runs[7]).toMatchObject({ outcome: 'no_data', step: 1, at: iso(run(8) + 9 * MIN), gate: 'error-rate', value: null });
    expect(result.runs[7]!.reason).toBe('no data: gate error-rate inconclusive: no data: the query returned no series (onEmpty: inconclusive) (3 times, limit 2); rollout run would have paused on the gap');
    expect(result.runs[0]).toMatchObject({ outcome: 'promoted', step: 2, weight: 100, end: iso(run(1) + RUN), gate: null, reason: 'all 3 steps passed' });

    expect(result.summary).toEqual({ runs: 8, promoted: 5, rolled_back: 2, paused: 0, no_data: 1, expect: 'healthy', falsePositives: 2 });
    const gate = (name: string) => result.gates.find((g) => g.name === name)!;
    // The spike in run 2 never fails the sustained gate; run 7's breach fails it once, and that rolls back.
    expect(gate('latency')).toMatchObject({ failures: 1, rollbacks: 1, worst: { value: 0.5, at: iso(run(7) + 7 * MIN) }, maxValue: 0.5 });
    expect(result.runs[1]!.failures).toEqual([]);
    expect(gate('error-rate')).toMatchObject({ failures: 1, rollbacks: 1, noData: 1, worst: { value: 0.05 }, minValue: 0.001 });
    // The warning gate fails at 29 of run 5's 30 rounds (the last, at +15m, reads the 0.95 sample
    // taken exactly then) and decides nothing.
    expect(gate('cache-hit')).toMatchObject({ severity: 'warning', failures: 29, rollbacks: 0, pauses: 0, worst: { value: 0.85 } });
    // 3 queries on one grid each, fetched once for the whole period.
    expect(result.stats.queries).toBe(3);
    expect(result.stats.requests).toBe(3);
  }, 60_000);

  it('paused: a failure with rollback.auto off, too little traffic (minSamples); a gap stays no_data whatever onInconclusive says', async () => {
    const variant = (text: string): Promise<ResolvedPlan> => {
      writeFileSync(join(dir, 'variant.yaml'), text);
      return loadPlan(join(dir, 'variant.yaml'), { env: {} });
    };
    const api = createPrometheusClient(plan.prometheus, { env: {} });
    const period = { from: new Date(run(1) * 1_000), to: new Date(run(9) * 1_000) };

    const manual = variant(`${PLAN(prometheus.url).replace('onInconclusive: pause', 'onInconclusive: rollback')}rollback: { auto: false }\n`);
    const a = await runBacktest(await manual, api, period);
    expect(a.runs.map((r) => r.outcome)).toEqual(['promoted', 'promoted', 'promoted', 'paused', 'promoted', 'promoted', 'paused', 'no_data']);
    expect(a.runs[3]!.reason).toBe('gate error-rate failed: 0.05 > max 0.01 (1 failure, limit 0); rollback.auto is off, a person would have been asked');
    expect(a.runs[7]!.reason).toMatch(/; rollout run would have rolled back on the gap$/);
    expect(a.gates.find((g) => g.name === 'error-rate')).toMatchObject({ pauses: 1, rollbacks: 0, noData: 1 });

    // 10 "samples" against a minimum of 50: every error-rate measurement is inconclusive, never empty.
    const lowTraffic = variant(PLAN(prometheus.url).replace('    max: 0.01\n', '    max: 0.01\n    minSamples: { query: "bt_cache_hit_ratio * 0 + 10", min: 50 }\n'));
    const b = await runBacktest(await lowTraffic, api, period);
    expect(b.runs.map((r) => r.outcome)).toEqual(['paused', 'paused', 'paused', 'paused', 'paused', 'paused', 'paused', 'paused']);
    expect(b.runs[0]).toMatchObject({ step: 0, at: iso(run(1) + 90), gate: 'error-rate', reason: 'gate error-rate inconclusive: only 10 samples, fewer than 50 (3 times, limit 2)' });
  }, 60_000);

  it('onInconclusive: continue goes on through the gap; --every spaces (or overlaps) the simulated rollouts', async () => {
    writeFileSync(join(dir, 'continue.yaml'), PLAN(prometheus.url).replace('onInconclusive: pause', 'onInconclusive: continue'));
    const lenient = await loadPlan(join(dir, 'continue.yaml'), { env: {} });
    const api = createPrometheusClient(plan.prometheus, { env: {} });
    const period = { from: new Date(run(1) * 1_000), to: new Date(run(9) * 1_000) };
    const a = await runBacktest(lenient, api, period);
    // The gap's inconclusive measurements are "not taken": run 8 is promoted, unverified in its last steps.
    expect(a.runs.map((r) => r.outcome)).toEqual(['promoted', 'promoted', 'promoted', 'rolled_back', 'promoted', 'promoted', 'rolled_back', 'promoted']);

    // Every 5 minutes: 22 overlapping simulated rollouts; each that measures error-rate in [+51m, +54m) of T0 rolls back there.
    const b = await runBacktest(plan, api, { ...period, everyMs: 5 * 60_000 });
    expect(b.runs).toHaveLength(22);
    expect(b.every).toBe('5m');
    const byErrorRate = b.runs.filter((r) => r.outcome === 'rolled_back' && r.gate === 'error-rate');
    expect(byErrorRate.map((r) => r.at)).toEqual([iso(run(4) + 6 * MIN), iso(run(4) + 6 * MIN), iso(run(4) + 6 * MIN)]);
    expect(byErrorRate.map((r) => r.start)).toEqual([iso(run(3) + 10 * MIN), iso(run(4)), iso(run(4) + 5 * MIN)]);
  }, 60_000);

  it('stored-data verdicts equal live measurements (instant and range queries) at the same times', async () => {
    const api = createPrometheusClient(plan.prometheus, { env: {} });
    const schedule = roundSchedule(plan);
    const store = new SeriesStore();
    const starts = [run(2), run(4), run(7), run(8)].map((s) => s * 1_000);
    for (const start of starts) registerNeeds(store, plan, schedule, start);
    await store.fetch(api);
    const simulated: Measurement[] = [];
    for (const start of starts) simulateRun(plan, schedule, store, start, (m) => simulated.push(m));
    expect(simulated.length).toBeGreaterThan(150);
    const byName = new Map(plan.steps.flatMap((step) => gatesOfStep(plan, step)).map((g) => [g.name, g]));
    for (const m of simulated) {
      const live = await measureGate(api, byName.get(m.gate)!, { at: new Date(m.at) });
      expect({ gate: live.gate, at: live.at, verdict: live.verdict, value: live.value, reason: live.reason }).toEqual({ gate: m.gate, at: m.at, verdict: m.verdict, value: m.value, reason: m.reason });
    }
  }, 120_000);

  it('the built binary: --expect healthy exits 1 with the JSON document; html has the timeline; md the table', async () => {
    const args = ['plan', 'backtest', planFile, '--from', iso(run(1)), '--to', iso(run(9)), '--expect', 'healthy'];
    const json = await runCli([...args, '--json']);
    expect(json.code, json.stderr).toBe(1);
    const doc = JSON.parse(json.stdout) as { schemaVersion: number; plan: { name: string }; from: string; to: string; every: string; runs: Array<{ outcome: string; step: number; at: string; gate: string | null; value: number | null; reason: string; start: string; end: string }>; summary: Record<string, unknown>; gates: unknown[] };
    expect(doc).toMatchObject({ schemaVersion: 1, plan: { name: 'backtest-demo' }, from: iso(run(1)), to: iso(run(9)), every: '15m', summary: { runs: 8, rolled_back: 2, falsePositives: 2 } });
    expect(Object.keys(doc.runs[3]!)).toEqual(expect.arrayContaining(['start', 'end', 'outcome', 'step', 'stepIndex', 'at', 'gate', 'value', 'reason']));
    // The library's 0-based index 1 is "step 2" for people, in the JSON as in the table.
    expect(doc.runs[3]).toMatchObject({ step: 2, stepIndex: 1, weight: 50 });

    const html = await runCli([...args, '--format', 'html']);
    expect(html.code).toBe(1);
    expect(html.stdout).toMatch(/^<!doctype html>/);
    expect(html.stdout.match(/<rect /g)).toHaveLength(8);
    expect(html.stdout).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(html.stdout).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);

    const md = await runCli([...args.slice(0, -2), '--format', 'md']);
    expect(md.code, 'without --expect a rollback is no failure').toBe(0);
    // 194 measurements per gate: 5 whole runs × 30 rounds, run 4 stopped after 12, run 7 after 14, run 8 after 18.
    expect(md.stdout).toContain('| error-rate | critical | \\<= 0.01 | 194 | 1 | 3 | 1 | 0 | 1 | 0.05 at');
    expect(md.stdout).toContain(`| 4 | ${iso(run(4))} | rolled back | step 2 (50%) | ${iso(run(4) + 6 * MIN)} | error-rate | 0.05 |`);

    const text = await runCli([...args.slice(0, -2)]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('8 simulated rollouts: promoted 5, rolled back 2, paused 0, no data 1');
  }, 60_000);

  it('bad periods are usage errors (exit 2); an unreachable Prometheus is exit 3 naming it', async () => {
    const future = await runCli(['plan', 'backtest', planFile, '--from', iso(run(1)), '--to', new Date(Date.now() + 3_600_000).toISOString()]);
    expect(future.code).toBe(2);
    expect(future.stderr).toContain('is in the future');
    const short = await runCli(['plan', 'backtest', planFile, '--from', iso(run(1)), '--to', iso(run(1) + 10 * MIN)]);
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('no simulated rollout fits between --from and --to: the plan takes at least 15m, the period is 10m');
    const down = await runCli(['plan', 'backtest', planFile, '--from', iso(run(1)), '--to', iso(run(2)), '--prometheus', 'http://127.0.0.1:9']);
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('127.0.0.1:9');
  }, 60_000);
});

/** A person at a terminal (tmux: a real pseudo-terminal, CI unset): a spinner while it works, then tables. */
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
describe.skipIf(!hasTmux)('plan backtest in a real terminal (tmux)', () => {
  const socket = `rollgate-backtest-test-${process.pid}`;
  const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  afterAll(() => void spawnSync('tmux', ['-L', socket, 'kill-server']));

  it('prints the gates and the stopped rollouts as tables, the headline last, exit 0', async () => {
    const command = `env -u CI -u NO_COLOR TERM=xterm-256color ${process.execPath} ${BIN} plan backtest ${planFile} --from ${iso(run(1))} --to ${iso(run(9))}; echo "EXIT=$?"; sleep 120`;
    tmux('new-session', '-d', '-s', 'bt', '-x', '220', '-y', '60', command);
    let screen = '';
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && !/EXIT=\d+/.test(screen); await new Promise((r) => setTimeout(r, 200))) screen = tmux('capture-pane', '-p', '-t', 'bt', '-S', '-200');
    expect(screen).toMatch(/EXIT=0/);
    // Borderless aligned tables (issue 11).
    expect(screen).toMatch(/^error-rate\s+critical\s+<= 0\.01\s+1\/194\s+1\b/m);
    expect(screen).toMatch(/^\d{4}-\d\d-\d\dT\S*\s.*rolled back\s+step 2 \(50%\)/m);
    expect(screen).toContain('5 promoted, 2 rolled back, 1 no data of 8');
  }, 60_000);
});
