import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/lib/errors.js';
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

describe('withRuntimeVars: the finished query is checked before it is sent (issue 7.4)', () => {
  it('run-time values are placed like plan vars: escaped inside a literal', () => {
    const g = withRuntimeVars({ ...gate, query: "x{w='{{weight}}'}[{{range}}]" }, { rangeMs: 60_000, weight: 10 });
    expect(g.query).toBe("x{w='10'}[60s]");
  });
  it('a finished query that is not valid PromQL is refused with exit 2, naming the gate and the field', () => {
    let error: unknown;
    try {
      withRuntimeVars({ ...gate, query: 'sum(rate(x[{{range}}])' }, { rangeMs: 30_000, weight: 25, step: 1 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(/^gate "g": query: the query to send is not valid PromQL \(1:4: PromQL parse error: unclosed left parenthesis\); it was not sent$/);
  });
  it('a value that would change the structure is refused', () => {
    expect(() => withRuntimeVars({ ...gate, query: 'x > {{weight}}' }, { rangeMs: 30_000, weight: Number.NaN })).not.toThrow();
    expect(() => withRuntimeVars({ ...gate, query: 'x > {{weight}}' }, { rangeMs: 30_000, weight: -Infinity })).toThrow(/gate "g": query: \{\{weight\}\} has a value that would change/);
  });
});
