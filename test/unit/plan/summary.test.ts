import { describe, expect, it } from 'vitest';
import { loadPlanSource } from '../../../src/lib/plan/load.js';
import { summarizePlan, thresholdText } from '../../../src/lib/plan/summary.js';

const PLAN = `
apiVersion: rollgate/v1
kind: RolloutPlan
metadata: { name: checkout-v2, service: checkout }
traffic: { exec: ["./set-weight.sh", "{{weight}}"] }
analysis: { interval: 30s }
gates:
  - name: error-rate
    query: sum(rate(errors[1m])) / sum(rate(requests[1m]))
    max: 0.01
  - name: p95
    query: histogram_quantile(0.95, sum by (le) (rate(latency_bucket[5m])))
    max: 0.12
    for: 2m
  - name: per-range
    query: sum(increase(errors[{{range}}]))
    max: 10
    min: 1
  - name: vs-stable
    query: avg(latency{track="canary"})
    baseline: avg(latency{track="stable"})
    maxIncrease: 10%
    maxDecrease: 0.5
    severity: warning
steps:
  - { weight: 10, bake: 5m, gates: [error-rate] }
  - { weight: 50, bake: 10m, approval: true }
  - { weight: 100 }
`;

describe('summarizePlan', () => {
  const summary = summarizePlan(loadPlanSource(PLAN, 'plan.yaml', { env: {} }));

  it('sums the bakes into the minimum duration and counts approvals', () => {
    expect(summary.minimumDurationMs).toBe(15 * 60_000);
    expect(summary.approvals).toBe(1);
  });

  it('worst-case detection = interval + for + longest range selector', () => {
    expect(summary.detection.map((gate) => [gate.gate, gate.intervalMs, gate.forMs, gate.rangeMs, gate.worstCaseMs])).toEqual([
      ['error-rate', 30_000, 0, 60_000, 90_000],
      ['p95', 30_000, 120_000, 300_000, 450_000],
      // {{range}} counts as the analysis interval
      ['per-range', 30_000, 0, 30_000, 60_000],
      ['vs-stable', 30_000, 0, 0, 30_000],
    ]);
  });

  it('counts failureLimit: each tolerated failure costs one more interval', () => {
    const limited = summarizePlan(loadPlanSource(PLAN.replace('analysis: { interval: 30s }', 'analysis: { interval: 30s, failureLimit: 2 }'), 'plan.yaml', { env: {} }));
    expect(limited.detection[0]!.worstCaseMs).toBe(3 * 30_000 + 60_000);
  });

  it('lists the steps that check each gate', () => {
    expect(summary.detection.map((gate) => gate.steps)).toEqual([[0, 1, 2], [1, 2], [1, 2], [1, 2]]);
  });

  it('words thresholds', () => {
    const plan = loadPlanSource(PLAN, 'plan.yaml', { env: {} });
    expect(plan.gates.map(thresholdText)).toEqual(['<= 0.01', '<= 0.12', '>= 1 and <= 10', '<= baseline +10% and >= baseline -0.5']);
  });
});
