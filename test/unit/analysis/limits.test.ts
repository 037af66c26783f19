import { describe, expect, it } from 'vitest';
import { LimitCounter } from '../../../src/lib/analysis/limits.js';
import type { Measurement, Verdict } from '../../../src/lib/gates/types.js';
import type { AnalysisConfig } from '../../../src/lib/plan/types.js';

const config: AnalysisConfig = { intervalMs: 1000, failureLimit: 1, inconclusiveLimit: 2, onInconclusive: 'pause', errorLimit: 2, onError: 'hold', errorTimeoutMs: 60_000 };

function m(gate: string, verdict: Verdict, severity: 'critical' | 'warning' = 'critical'): Measurement {
  return { gate, verdict, value: verdict === 'pass' ? 0 : null, threshold: '<= 1', query: 'q', reason: verdict, severity, at: '2026-11-23T00:00:00Z', series: [] };
}

describe('LimitCounter', () => {
  it('fails only when failures exceed failureLimit (Argo semantics)', () => {
    const c = new LimitCounter(config);
    expect(c.record([m('a', 'fail')]).kind).toBe('continue');
    expect(c.record([m('a', 'fail')])).toMatchObject({ kind: 'fail', gate: 'a' });
  });

  it('warning gates never decide', () => {
    const c = new LimitCounter({ ...config, failureLimit: 0 });
    for (let i = 0; i < 5; i += 1) expect(c.record([m('w', 'fail', 'warning')]).kind).toBe('continue');
    expect(c.count('w').warnings).toBe(5);
  });

  it('warning gates decide nothing: not on failure, no data or errors', () => {
    const c = new LimitCounter({ ...config, failureLimit: 0, inconclusiveLimit: 0, errorLimit: 0 });
    expect(c.record([m('w', 'inconclusive', 'warning')]).kind).toBe('continue');
    expect(c.record([m('w', 'error', 'warning')]).kind).toBe('continue');
    expect(c.record([m('w', 'error', 'warning')]).kind).toBe('continue');
  });

  it('inconclusive beyond its limit, and forgetting resets it', () => {
    const c = new LimitCounter(config);
    c.record([m('a', 'inconclusive')]);
    c.record([m('a', 'inconclusive')]);
    expect(c.record([m('a', 'inconclusive')])).toMatchObject({ kind: 'inconclusive', gate: 'a' });
    c.forgetInconclusive('a');
    expect(c.record([m('a', 'inconclusive')]).kind).toBe('continue');
  });

  it('errors count only while consecutive', () => {
    const c = new LimitCounter(config);
    c.record([m('a', 'error')]);
    c.record([m('a', 'error')]);
    c.record([m('a', 'pass')]);
    c.record([m('a', 'error')]);
    expect(c.record([m('a', 'error')]).kind).toBe('continue');
    expect(c.record([m('a', 'error')])).toMatchObject({ kind: 'error' });
  });

  it('fail beats inconclusive beats error in one round', () => {
    const c = new LimitCounter({ ...config, failureLimit: 0, inconclusiveLimit: 0, errorLimit: 0 });
    expect(c.record([m('e', 'error'), m('i', 'inconclusive'), m('f', 'fail')]).kind).toBe('fail');
    const d = new LimitCounter({ ...config, failureLimit: 0, inconclusiveLimit: 0, errorLimit: 0 });
    expect(d.record([m('e', 'error'), m('i', 'inconclusive')]).kind).toBe('inconclusive');
  });

  it('names critical gates that never passed', () => {
    const c = new LimitCounter(config);
    c.record([m('a', 'pass'), m('b', 'inconclusive'), m('w', 'inconclusive', 'warning')]);
    expect(c.neverPassed(['a', 'b', 'w'], (g) => (g === 'w' ? 'warning' : 'critical'))).toEqual(['b']);
  });
});
