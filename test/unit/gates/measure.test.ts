import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/lib/errors.js';
import { measureGate, measureGates, windowStepMs } from '../../../src/lib/gates/measure.js';
import type { GateSpec } from '../../../src/lib/plan/types.js';
import type { PrometheusApi, RangeSeries, Sample } from '../../../src/lib/prometheus/types.js';

const AT = new Date('2026-01-10T12:00:00Z');
const gate = (over: Partial<GateSpec> = {}): GateSpec => ({ name: 'g', query: 'q', onEmpty: 'inconclusive', severity: 'critical', max: 1, ...over });

/** A scripted PrometheusApi that records what was asked. */
function fakeApi(answers: Record<string, Sample[] | RangeSeries[] | Error>): PrometheusApi & { calls: string[] } {
  const calls: string[] = [];
  const answer = async (query: string) => {
    const a = answers[query];
    if (a instanceof Error) throw a;
    return a ?? [];
  };
  return {
    url: 'http://prom',
    calls,
    instant: async (query, at) => {
      calls.push(`instant ${query} @${at?.toISOString()}`);
      return (await answer(query)) as Sample[];
    },
    range: async (query, start, end, stepMs) => {
      calls.push(`range ${query} ${start.toISOString()}..${end.toISOString()} step ${stepMs}`);
      return (await answer(query)) as RangeSeries[];
    },
    graphUrl: () => '',
  };
}

describe('measureGate', () => {
  it('asks the main, baseline and guard queries at the same time', async () => {
    const api = fakeApi({ q: [{ labels: {}, value: 0.5, timestamp: 0 }], b: [{ labels: {}, value: 0.5, timestamp: 0 }], n: [{ labels: {}, value: 100, timestamp: 0 }] });
    const m = await measureGate(api, gate({ baseline: 'b', maxIncrease: { kind: 'relative', value: 0.1 }, minSamples: { query: 'n', min: 10 } }), { at: AT });
    expect(m.verdict).toBe('pass');
    expect(api.calls.sort()).toEqual([`instant b @${AT.toISOString()}`, `instant n @${AT.toISOString()}`, `instant q @${AT.toISOString()}`]);
  });
  it('a for gate runs a range query over [at - for, at] with the gate step', async () => {
    const api = fakeApi({});
    await measureGate(api, gate({ forMs: 120_000, stepMs: 15_000 }), { at: AT });
    expect(api.calls).toEqual([`range q 2026-01-10T11:58:00.000Z..${AT.toISOString()} step 15000`]);
  });
  it('a ProviderError becomes an error measurement', async () => {
    const api = fakeApi({ b: new ProviderError('cannot reach Prometheus at http://prom/ (ECONNREFUSED)', 'http://prom/', 'unreachable') });
    const m = await measureGate(api, gate({ baseline: 'b', maxIncrease: { kind: 'relative', value: 0.1 } }), { at: AT });
    expect(m).toMatchObject({ verdict: 'error', errorType: 'unreachable', reason: 'cannot reach Prometheus at http://prom/ (ECONNREFUSED)', value: null });
  });
  it('other errors are bugs and propagate', async () => {
    await expect(measureGate(fakeApi({ q: new TypeError('boom') }), gate(), { at: AT })).rejects.toThrow('boom');
  });
  it('measureGates keeps the order and one shared time', async () => {
    const api = fakeApi({ a: [{ labels: {}, value: 2, timestamp: 0 }] });
    const ms = await measureGates(api, [gate({ name: 'x', query: 'a' }), gate({ name: 'y', query: 'z' })], { concurrency: 1 });
    expect(ms.map((m) => [m.gate, m.verdict])).toEqual([['x', 'fail'], ['y', 'inconclusive']]);
    expect(ms[0]!.at).toBe(ms[1]!.at);
  });
});

describe('windowStepMs', () => {
  it.each([
    [{ forMs: 120_000, stepMs: 5_000 }, undefined, 5_000],
    [{ forMs: 120_000 }, 30_000, 30_000],
    [{ forMs: 120_000 }, undefined, 12_000],
    [{ forMs: 5_000 }, undefined, 1_000],
    [{ forMs: 3_600_000 }, undefined, 15_000],
    // 7 days at 15s would be 40,320 points; Prometheus allows 11,000.
    [{ forMs: 7 * 86_400_000, stepMs: 15_000 }, undefined, 60_480],
  ] as Array<[Partial<GateSpec>, number | undefined, number]>)('%j (fallback %s) → %s', (over, fallback, expected) => {
    expect(windowStepMs(gate(over), fallback)).toBe(expected);
  });
});
