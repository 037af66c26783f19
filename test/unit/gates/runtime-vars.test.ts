import { describe, expect, it } from 'vitest';
import { withRuntimeVars } from '../../../src/lib/gates/runtime-vars.js';
import type { GateSpec } from '../../../src/lib/plan/types.js';

const gate: GateSpec = {
  name: 'g',
  query: 'sum(rate(x{weight="{{weight}}",step="{{step}}"}[{{range}}]))',
  baseline: 'sum(rate(y[{{range}}]))',
  maxIncrease: { kind: 'relative', value: 0.1 },
  minSamples: { query: 'sum(increase(x[{{range}}]))', min: 5 },
  onEmpty: 'inconclusive',
  severity: 'critical',
};

describe('withRuntimeVars', () => {
  it('fills weight, step and range (the analysis interval) in every query of a gate', () => {
    const g = withRuntimeVars(gate, { rangeMs: 30_000, weight: 25, step: 1 });
    expect(g.query).toBe('sum(rate(x{weight="25",step="1"}[30s]))');
    expect(g.baseline).toBe('sum(rate(y[30s]))');
    expect(g.minSamples?.query).toBe('sum(increase(x[30s]))');
  });
  it('leaves weight and step as written outside a rollout; range is never below 1s', () => {
    const g = withRuntimeVars(gate, { rangeMs: 500 });
    expect(g.query).toBe('sum(rate(x{weight="{{weight}}",step="{{step}}"}[1s]))');
  });
});
