/**
 * An unreachable Prometheus is said once, naming its address, exit 3: `gate check` (every gate
 * would say the same words) and `rollout run` (checked before anything is changed, after the
 * plan's warnings), in CI (plain) and --json.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, stderrMessages } from '../support/cli.js';
import { freePort } from '../support/prometheus.js';

const dir = mkdtempSync(join(tmpdir(), 'rollgate-prom-down-'));
const state = `file:${join(dir, 'state')}`;
const weights = join(dir, 'weights');
let dead = '';
const plan = join(dir, 'plan.yaml');

beforeAll(async () => {
  // A free port nobody listens on: connection refused at once.
  dead = `http://127.0.0.1:${await freePort()}`;
  writeFileSync(
    plan,
    `apiVersion: rollgate/v1
kind: RolloutPlan
metadata: { name: down, service: down }
vars: { version: v2 }
prometheus: { url: "http://127.0.0.1:1", timeout: 1s }
traffic: { exec: ["sh", "-c", "echo $0 >> ${weights}", "{{weight}}"] }
analysis: { interval: 2s, errorLimit: 1, onError: rollback }
gates:
  - { name: error-rate, query: 'sum(rate(http_requests_total{version="{{version}}",code=~"5.."}[1m]))', max: 0.01 }
  - { name: latency, query: 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[1m])))', max: 0.2 }
  - { name: saturation, query: 'avg(process_cpu_seconds_total)', max: 0.9 }
steps:
  - { weight: 10, bake: 1s }
  - { weight: 100, bake: 4s }
`,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const count = (text: string, part: string): number => text.split(part).length - 1;

describe('Prometheus unreachable', () => {
  it('gate check: one line naming the address for all gates, no table repeating it, exit 3', async () => {
    const run = await runCli(['gate', 'check', plan, '--prometheus', dead]);
    expect(run.code, run.stderr).toBe(3);
    expect(count(run.stderr + run.stdout, 'cannot reach Prometheus')).toBe(1);
    expect(stderrMessages(run.stderr)).toEqual([`no verdict: cannot reach Prometheus at ${dead}/ (ECONNREFUSED) (all 3 gates not checked)`]);
    expect(run.stdout).toBe('');
    // --json keeps every gate's reason (data), stderr still says it once.
    const json = await runCli(['gate', 'check', plan, '--prometheus', dead, '--json']);
    expect(json.code).toBe(3);
    const doc = JSON.parse(json.stdout) as { verdict: string; gates: Array<{ verdict: string; reason: string }> };
    expect(doc.verdict).toBe('error');
    expect(doc.gates.map((g) => g.verdict)).toEqual(['error', 'error', 'error']);
    expect(count(json.stderr, 'cannot reach Prometheus')).toBe(1);
  });

  it('rollout run: the plan\'s warnings, then once "cannot reach Prometheus at ADDRESS", exit 3, nothing changed', async () => {
    const run = await runCli(['rollout', 'run', plan, '--prometheus', dead, '--state', state, '--set', 'verison=v3']);
    expect(run.code, run.stderr).toBe(3);
    const lines = run.stderr.trim().split('\n');
    expect(lines[0]).toBe(`${plan}: warning: --set verison=...: the plan uses no var "verison" (did you mean "version"?); the value is ignored`);
    expect(lines[1]).toMatch(new RegExp(`^${plan.replace(/[.]/g, '\\.')}:\\d+:\\d+: warning: steps\\[0\\]\\.bake: the 1s bake of step 1 \\(weight 10%\\) is shorter than the analysis interval \\(2s\\)`));
    expect(count(run.stderr, 'cannot reach Prometheus')).toBe(1);
    expect(stderrMessages(run.stderr)).toEqual([`cannot reach Prometheus at ${dead}/ (ECONNREFUSED): the rollout was not started, nothing was changed`]);
    expect(run.stdout).toBe('');
    expect(existsSync(weights)).toBe(false);
    const status = await runCli(['rollout', 'status', '--json', '--state', state]);
    expect((JSON.parse(status.stdout) as { rollouts: unknown[] }).rollouts).toEqual([]);
    const json = await runCli(['rollout', 'run', plan, '--prometheus', dead, '--state', state, '--json']);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ schemaVersion: 1, error: { kind: 'provider', message: `cannot reach Prometheus at ${dead}/ (ECONNREFUSED): the rollout was not started, nothing was changed` } });
  });

  it('gate check and plan backtest say the plan\'s warnings first too (unused --set, short bake), exit code unchanged', async () => {
    for (const args of [['gate', 'check', plan], ['plan', 'backtest', plan, '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-01T01:00:00Z']]) {
      const run = await runCli([...args, '--prometheus', dead, '--set', 'verison=v3']);
      expect(run.code, run.stderr).toBe(3);
      expect(stderrMessages(run.stderr, 'warn').slice(0, 2)).toEqual([
        `${plan}: warning: --set verison=...: the plan uses no var "verison" (did you mean "version"?); the value is ignored`,
        expect.stringMatching(/:\d+:\d+: warning: steps\[0\]\.bake: the 1s bake of step 1 \(weight 10%\) is shorter than the analysis interval \(2s\)/),
      ]);
    }
  });
});
