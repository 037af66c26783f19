import { describe, expect, it } from 'vitest';
import { describeThreshold, evaluateGate, errorMeasurement, formatValue, type GateData } from '../../../src/lib/gates/evaluate.js';
import { overallVerdict } from '../../../src/lib/gates/verdict.js';
import type { Measurement, Verdict } from '../../../src/lib/gates/types.js';
import type { GateSpec } from '../../../src/lib/plan/types.js';
import type { Sample } from '../../../src/lib/prometheus/types.js';

const AT = new Date('2026-01-10T12:00:00Z');
const T = AT.getTime() / 1_000;

const gate = (over: Partial<GateSpec> = {}): GateSpec => ({ name: 'g', query: 'q', onEmpty: 'inconclusive', severity: 'critical', ...over });
const sample = (value: number, labels: Record<string, string> = {}): Sample => ({ labels, value, timestamp: T });
const instant = (...samples: Sample[]): GateData => ({ at: AT, samples });

describe('evaluateGate: instant thresholds', () => {
  const cases: Array<{ name: string; gate: Partial<GateSpec>; data: GateData; verdict: Verdict; value: number | null; reason: string }> = [
    { name: 'max pass', gate: { max: 0.01 }, data: instant(sample(0.002)), verdict: 'pass', value: 0.002, reason: '0.002 <= max 0.01' },
    { name: 'max fail', gate: { max: 0.01 }, data: instant(sample(0.034)), verdict: 'fail', value: 0.034, reason: '0.034 > max 0.01' },
    { name: 'max equal passes', gate: { max: 0.01 }, data: instant(sample(0.01)), verdict: 'pass', value: 0.01, reason: '0.01 <= max 0.01' },
    { name: 'min fail', gate: { min: 0.9 }, data: instant(sample(0.85)), verdict: 'fail', value: 0.85, reason: '0.85 < min 0.9' },
    { name: 'min pass', gate: { min: 0.9 }, data: instant(sample(0.95)), verdict: 'pass', value: 0.95, reason: '0.95 >= min 0.9' },
    { name: 'min and max pass', gate: { min: 0.1, max: 0.9 }, data: instant(sample(0.5)), verdict: 'pass', value: 0.5, reason: '0.5 within max 0.9 and min 0.1' },
    { name: 'min and max, below', gate: { min: 0.1, max: 0.9 }, data: instant(sample(0.05)), verdict: 'fail', value: 0.05, reason: '0.05 < min 0.1' },
    { name: '+Inf is a value, not empty', gate: { max: 1 }, data: instant(sample(Infinity)), verdict: 'fail', value: Infinity, reason: '+Inf > max 1' },
    { name: '-Inf against min', gate: { min: 0 }, data: instant(sample(-Infinity)), verdict: 'fail', value: -Infinity, reason: '-Inf < min 0' },
    { name: 'scalar result (no labels)', gate: { max: 5 }, data: instant(sample(3)), verdict: 'pass', value: 3, reason: '3 <= max 5' },
  ];
  it.each(cases)('$name', ({ gate: over, data, verdict, value, reason }) => {
    const m = evaluateGate(gate(over), data);
    expect(m.verdict).toBe(verdict);
    expect(m.value).toBe(value);
    expect(m.reason).toBe(reason);
    expect(m.at).toBe(AT.toISOString());
    expect(m.series).toHaveLength(1);
  });
});

describe('evaluateGate: empty and NaN follow onEmpty, never a silent pass', () => {
  const cases: Array<{ onEmpty: GateSpec['onEmpty']; data: GateData; verdict: Verdict; reason: string }> = [
    { onEmpty: 'inconclusive', data: instant(), verdict: 'inconclusive', reason: 'no data: the query returned no series (onEmpty: inconclusive)' },
    { onEmpty: 'fail', data: instant(), verdict: 'fail', reason: 'no data: the query returned no series (onEmpty: fail)' },
    { onEmpty: 'pass', data: instant(), verdict: 'pass', reason: 'no data: the query returned no series (onEmpty: pass)' },
    { onEmpty: 'inconclusive', data: instant(sample(NaN)), verdict: 'inconclusive', reason: 'no data: the value is NaN (onEmpty: inconclusive)' },
    { onEmpty: 'fail', data: instant(sample(NaN)), verdict: 'fail', reason: 'no data: the value is NaN (onEmpty: fail)' },
    { onEmpty: 'pass', data: instant(sample(NaN)), verdict: 'pass', reason: 'no data: the value is NaN (onEmpty: pass)' },
    { onEmpty: 'inconclusive', data: { at: AT }, verdict: 'inconclusive', reason: 'no data: the query returned no series (onEmpty: inconclusive)' },
  ];
  it.each(cases)('onEmpty $onEmpty → $verdict ($reason)', ({ onEmpty, data, verdict, reason }) => {
    const m = evaluateGate(gate({ max: 0.01, onEmpty }), data);
    expect(m.verdict).toBe(verdict);
    expect(m.value).toBeNull();
    expect(m.reason).toBe(reason);
  });
});

describe('evaluateGate: baseline', () => {
  const b = (value: number, labels: Record<string, string> = {}): Sample => sample(value, labels);
  const cases: Array<{ name: string; gate: Partial<GateSpec>; value: number; baseline: Sample[]; verdict: Verdict; reason: string }> = [
    { name: 'relative +10% fail', gate: { maxIncrease: { kind: 'relative', value: 0.1 } }, value: 0.125, baseline: [b(0.1)], verdict: 'fail', reason: '0.125 > baseline 0.1 +10% (0.11)' },
    { name: 'relative +30% pass', gate: { maxIncrease: { kind: 'relative', value: 0.3 } }, value: 0.125, baseline: [b(0.1)], verdict: 'pass', reason: '0.125 <= baseline 0.1 +30% (0.13)' },
    { name: 'absolute +0.02 fail', gate: { maxIncrease: { kind: 'absolute', value: 0.02 } }, value: 0.125, baseline: [b(0.1)], verdict: 'fail', reason: '0.125 > baseline 0.1 +0.02 (0.12)' },
    { name: 'absolute +0.05 pass', gate: { maxIncrease: { kind: 'absolute', value: 0.05 } }, value: 0.125, baseline: [b(0.1)], verdict: 'pass', reason: '0.125 <= baseline 0.1 +0.05 (0.15)' },
    { name: 'maxDecrease relative fail', gate: { maxDecrease: { kind: 'relative', value: 0.05 } }, value: 0.9, baseline: [b(1)], verdict: 'fail', reason: '0.9 < baseline 1 -5% (0.95)' },
    { name: 'maxDecrease absolute pass', gate: { maxDecrease: { kind: 'absolute', value: 0.2 } }, value: 0.9, baseline: [b(1)], verdict: 'pass', reason: '0.9 >= baseline 1 -0.2 (0.8)' },
    { name: 'baseline empty → inconclusive', gate: { maxIncrease: { kind: 'relative', value: 0.1 } }, value: 0.125, baseline: [], verdict: 'inconclusive', reason: 'no baseline: the baseline query returned no series' },
    { name: 'baseline NaN → inconclusive', gate: { maxIncrease: { kind: 'relative', value: 0.1 } }, value: 0.125, baseline: [b(NaN)], verdict: 'inconclusive', reason: 'no baseline: the baseline value is NaN' },
    { name: 'baseline empty even with onEmpty pass', gate: { maxIncrease: { kind: 'relative', value: 0.1 }, onEmpty: 'pass' }, value: 0.001, baseline: [], verdict: 'inconclusive', reason: 'no baseline: the baseline query returned no series' },
    { name: 'baseline and max: max decides', gate: { max: 0.12, maxIncrease: { kind: 'relative', value: 0.5 } }, value: 0.125, baseline: [b(0.1)], verdict: 'fail', reason: '0.125 > max 0.12' },
  ];
  it.each(cases)('$name', ({ gate: over, value, baseline, verdict, reason }) => {
    const m = evaluateGate(gate({ baseline: 'bq', ...over }), { at: AT, samples: [sample(value)], baseline });
    expect(m.verdict).toBe(verdict);
    expect(m.reason).toBe(reason);
    expect(m.baselineQuery).toBe('bq');
  });

  it('matches several baseline series by labels', () => {
    const m = evaluateGate(gate({ baseline: 'bq', maxIncrease: { kind: 'relative', value: 0.1 } }), {
      at: AT,
      samples: [sample(1.05, { route: '/a' }), sample(1.05, { route: '/b' }), sample(1, { route: '/c' })],
      baseline: [b(1, { route: '/a' }), b(0.5, { route: '/b' })],
    });
    expect(m.series.map((s) => [s.labels.route, s.verdict])).toEqual([
      ['/a', 'pass'],
      ['/b', 'fail'],
      ['/c', 'inconclusive'],
    ]);
    expect(m.series[2]!.reason).toBe('no baseline series with the labels {route="/c"}');
    expect(m.verdict).toBe('fail');
  });
});

describe('evaluateGate: minSamples guard', () => {
  const g = gate({ max: 0.01, minSamples: { query: 'count', min: 50 } });
  it('below the minimum is inconclusive, even when the value fails', () => {
    const m = evaluateGate(g, { at: AT, samples: [sample(0.5)], minSamples: [sample(12)] });
    expect(m.verdict).toBe('inconclusive');
    expect(m.reason).toBe('only 12 samples, fewer than 50');
    expect(m.samples).toBe(12);
    expect(m.value).toBe(0.5);
  });
  it('below the minimum is inconclusive, even when the value passes', () => {
    expect(evaluateGate(g, { at: AT, samples: [sample(0.001)], minSamples: [sample(49.5)] }).reason).toBe('only 49.5 samples, fewer than 50');
  });
  it('no sample count is inconclusive', () => {
    const m = evaluateGate(g, { at: AT, samples: [sample(0.001)], minSamples: [] });
    expect(m.verdict).toBe('inconclusive');
    expect(m.samples).toBeNull();
    expect(m.reason).toBe('no sample count: the minSamples query returned no data (needs 50)');
  });
  it('NaN sample count is inconclusive', () => {
    expect(evaluateGate(g, { at: AT, samples: [sample(0.001)], minSamples: [sample(NaN)] }).verdict).toBe('inconclusive');
  });
  it('enough samples lets the threshold decide; several series are summed', () => {
    const m = evaluateGate(g, { at: AT, samples: [sample(0.002)], minSamples: [sample(30, { pod: 'a' }), sample(20, { pod: 'b' })] });
    expect(m.verdict).toBe('pass');
    expect(m.samples).toBe(50);
    expect(evaluateGate(g, { at: AT, samples: [sample(0.02)], minSamples: [sample(60)] }).verdict).toBe('fail');
  });
});

describe('evaluateGate: multi-series, the worst counts and all are reported', () => {
  it('fail beats inconclusive beats pass', () => {
    const m = evaluateGate(gate({ max: 0.01 }), instant(sample(0.001, { pod: 'a' }), sample(0.05, { pod: 'b' }), sample(NaN, { pod: 'c' })));
    expect(m.verdict).toBe('fail');
    expect(m.value).toBe(0.05);
    expect(m.series.map((s) => s.verdict)).toEqual(['pass', 'fail', 'inconclusive']);
    expect(m.reason).toBe('0.05 > max 0.01 — series {pod="b"}; 3 series: 1 failed, 1 inconclusive, 1 passed');
  });
  it('among failing series the furthest over the threshold is the value', () => {
    const m = evaluateGate(gate({ max: 0.01 }), instant(sample(0.02, { pod: 'a' }), sample(0.09, { pod: 'b' }), sample(0.03, { pod: 'c' })));
    expect(m.value).toBe(0.09);
  });
  it('for a min gate the lowest failing value is the value', () => {
    const m = evaluateGate(gate({ min: 0.9 }), instant(sample(0.5, { pod: 'a' }), sample(0.8, { pod: 'b' })));
    expect(m.value).toBe(0.5);
  });
  it('one NaN series among passing ones makes it inconclusive', () => {
    expect(evaluateGate(gate({ max: 1 }), instant(sample(0.1, { pod: 'a' }), sample(NaN, { pod: 'b' }))).verdict).toBe('inconclusive');
  });
});

describe('evaluateGate: for (sustained windows)', () => {
  // A 2m window with a 15s step: 9 points, at T-120 .. T.
  const windowGate = gate({ max: 0.12, forMs: 120_000 });
  const range = (values: Array<number | undefined>, labels: Record<string, string> = {}): GateData => ({
    at: AT,
    range: {
      start: new Date(AT.getTime() - 120_000),
      end: AT,
      stepMs: 15_000,
      series: [{ labels, points: values.flatMap((v, i) => (v === undefined ? [] : [[T - 120 + i * 15, v] as [number, number]])) }],
    },
  });
  it('breached at every point → fail, the closest point is the value', () => {
    const m = evaluateGate(windowGate, range([0.2, 0.2, 0.15, 0.2, 0.2, 0.2, 0.2, 0.2, 0.3]));
    expect(m.verdict).toBe('fail');
    expect(m.value).toBe(0.15);
    expect(m.reason).toBe('breached for 2m (all 9 points); closest 0.15 > max 0.12');
    expect(m.threshold).toBe('sustained 2m <= 0.12');
  });
  it('a single spike is not sustained → pass', () => {
    const m = evaluateGate(windowGate, range([0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.2]));
    expect(m.verdict).toBe('pass');
    expect(m.value).toBe(0.05);
    expect(m.reason).toBe(`not sustained: 0.05 <= max 0.12 at ${new Date((T - 120) * 1000).toISOString()} (breached at 1 of 9 points in 2m)`);
  });
  it('one good point in a breached window → pass', () => {
    expect(evaluateGate(windowGate, range([0.2, 0.2, 0.2, 0.2, 0.1, 0.2, 0.2, 0.2, 0.2])).verdict).toBe('pass');
  });
  it('breached at every present point but with gaps → inconclusive (not proven sustained)', () => {
    const m = evaluateGate(windowGate, range([undefined, undefined, undefined, undefined, 0.2, 0.2, 0.2, 0.2, 0.2]));
    expect(m.verdict).toBe('inconclusive');
    expect(m.reason).toBe('not proven sustained: breached at all 5 points present, but 4 of 9 points of the 2m window are missing');
  });
  it('NaN points count as missing', () => {
    expect(evaluateGate(windowGate, range([0.2, NaN, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2])).verdict).toBe('inconclusive');
  });
  it('a window with no points is empty → onEmpty', () => {
    const empty = evaluateGate(windowGate, { at: AT, range: { start: new Date(AT.getTime() - 120_000), end: AT, stepMs: 15_000, series: [] } });
    expect(empty.verdict).toBe('inconclusive');
    expect(empty.reason).toBe('no data: the query returned no series (onEmpty: inconclusive)');
    const allNaN = evaluateGate(gate({ max: 0.12, forMs: 120_000, onEmpty: 'fail' }), range([NaN, NaN]));
    expect(allNaN.verdict).toBe('fail');
    expect(allNaN.reason).toBe('no data in the 2m window (onEmpty: fail)');
  });
  it('a min gate is sustained when below at every point', () => {
    const m = evaluateGate(gate({ min: 0.9, forMs: 120_000 }), range([0.5, 0.6, 0.7, 0.8, 0.8, 0.8, 0.8, 0.8, 0.85]));
    expect(m.verdict).toBe('fail');
    expect(m.value).toBe(0.85);
  });
  it('baseline applies to every point of the window', () => {
    const g = gate({ forMs: 120_000, baseline: 'bq', maxIncrease: { kind: 'relative', value: 0.1 } });
    const data = { ...range([0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2]), baseline: [sample(0.1)] };
    expect(evaluateGate(g, data).verdict).toBe('fail');
    expect(evaluateGate(g, { ...data, baseline: [sample(0.19)] }).verdict).toBe('pass');
  });
});

describe('thresholds, values and error measurements', () => {
  it.each([
    [{ max: 0.01 }, '<= 0.01'],
    [{ min: 0.9 }, '>= 0.9'],
    [{ min: 0.1, max: 0.9 }, '>= 0.1, <= 0.9'],
    [{ baseline: 'b', maxIncrease: { kind: 'relative', value: 0.1 } }, '<= baseline +10%'],
    [{ baseline: 'b', maxIncrease: { kind: 'absolute', value: 0.005 } }, '<= baseline +0.005'],
    [{ baseline: 'b', maxDecrease: { kind: 'relative', value: 0.05 } }, '>= baseline -5%'],
    [{ max: 0.12, forMs: 120_000 }, 'sustained 2m <= 0.12'],
  ] as Array<[Partial<GateSpec>, string]>)('%j → %s', (over, text) => {
    expect(describeThreshold(gate(over))).toBe(text);
  });
  it('formats values', () => {
    expect([0.034, 1 / 3, 12, NaN, Infinity, -Infinity, 1e-9].map(formatValue)).toEqual(['0.034', '0.333333', '12', 'NaN', '+Inf', '-Inf', '1e-9']);
  });
  it('a provider error is an error verdict with the message as the reason', () => {
    const m = errorMeasurement(gate({ max: 1 }), AT, { message: 'bad_data: 1:5: parse error', errorType: 'bad_data' });
    expect(m).toMatchObject({ verdict: 'error', value: null, reason: 'bad_data: 1:5: parse error', errorType: 'bad_data', threshold: '<= 1' });
  });
});

describe('overallVerdict', () => {
  const m = (verdict: Verdict, severity: 'critical' | 'warning' = 'critical'): Measurement => ({ ...errorMeasurement(gate(), AT, { message: '' }), verdict, severity });
  it.each([
    [['pass', 'pass'], 'pass'],
    [['pass', 'fail'], 'fail'],
    [['inconclusive', 'fail'], 'fail'],
    [['error', 'fail'], 'fail'],
    [['error', 'inconclusive'], 'error'],
    [['pass', 'inconclusive'], 'inconclusive'],
    [[], 'inconclusive'],
  ] as Array<[Verdict[], Verdict]>)('%j → %s', (verdicts, expected) => {
    expect(overallVerdict(verdicts.map((v) => m(v)))).toBe(expected);
  });
  it('a warning-severity failure is reported but does not fail', () => {
    expect(overallVerdict([m('pass'), m('fail', 'warning')])).toBe('pass');
    expect(overallVerdict([m('inconclusive'), m('fail', 'warning')])).toBe('inconclusive');
  });
});

describe('evaluateGate: non-finite baselines and sample counts are inconclusive (issue 7.5)', () => {
  const rel = { kind: 'relative' as const, value: 0.1 };
  const cases: Array<{ name: string; gate: Partial<GateSpec>; data: GateData; reason: string }> = [
    {
      name: '+Inf baseline (histogram_quantile above the top bucket) would let any canary pass',
      gate: { baseline: 'b', maxIncrease: rel },
      data: { at: AT, samples: [sample(99)], baseline: [sample(Infinity)] },
      reason: 'no usable baseline: the baseline value is +Inf (not finite, e.g. histogram_quantile above the top bucket)',
    },
    {
      name: '-Inf baseline with maxDecrease',
      gate: { baseline: 'b', maxDecrease: rel },
      data: { at: AT, samples: [sample(-5)], baseline: [sample(-Infinity)] },
      reason: 'no usable baseline: the baseline value is -Inf (not finite, e.g. histogram_quantile above the top bucket)',
    },
    {
      name: 'NaN baseline',
      gate: { baseline: 'b', maxIncrease: rel },
      data: { at: AT, samples: [sample(0.1)], baseline: [sample(NaN)] },
      reason: 'no baseline: the baseline value is NaN',
    },
    {
      name: 'matched multi-series baseline that is +Inf',
      gate: { baseline: 'b', maxIncrease: rel },
      data: { at: AT, samples: [sample(1, { pod: 'a' })], baseline: [sample(Infinity, { pod: 'a' }), sample(1, { pod: 'b' })] },
      reason: 'no usable baseline: the baseline value is +Inf (not finite, e.g. histogram_quantile above the top bucket)',
    },
    {
      name: '+Inf minSamples count is not "enough"',
      gate: { max: 0.01, minSamples: { query: 'c', min: 50 } },
      data: { at: AT, samples: [sample(0.001)], minSamples: [sample(Infinity)] },
      reason: 'no usable sample count: the minSamples query returned +Inf (needs a finite count of at least 50)',
    },
    {
      name: 'NaN minSamples count',
      gate: { max: 0.01, minSamples: { query: 'c', min: 50 } },
      data: { at: AT, samples: [sample(0.001)], minSamples: [sample(NaN)] },
      reason: 'no sample count: the minSamples query returned no data (needs 50)',
    },
  ];
  it.each(cases)('$name', ({ gate: over, data, reason }) => {
    const m = evaluateGate(gate(over), data);
    expect(m.verdict).toBe('inconclusive');
    expect(m.reason).toBe(reason);
  });

  it('a +Inf baseline is recorded as the baseline value, not hidden', () => {
    const m = evaluateGate(gate({ baseline: 'b', maxIncrease: rel }), { at: AT, samples: [sample(1)], baseline: [sample(Infinity)] });
    expect(m.baselineValue).toBe(Infinity);
  });

  it('a finite baseline still decides (control)', () => {
    expect(evaluateGate(gate({ baseline: 'b', maxIncrease: rel }), { at: AT, samples: [sample(2)], baseline: [sample(1)] }).verdict).toBe('fail');
  });
});

describe('evaluateGate: answers with warnings (partial responses, issue 7.1)', () => {
  const warned = <T extends object>(result: T[], ...warnings: string[]): T[] & { warnings?: string[] } => Object.assign(result, { warnings });
  const PARTIAL = 'partial response: store 10.0.0.7:10901 unavailable';

  it('a pass with a warning on the main answer is inconclusive, the warning kept verbatim', () => {
    const m = evaluateGate(gate({ max: 0.01 }), { at: AT, samples: warned([sample(0.001)], PARTIAL) });
    expect(m.verdict).toBe('inconclusive');
    expect(m.warnings).toEqual([PARTIAL]);
    expect(m.value).toBe(0.001);
    expect(m.reason).toBe(`partial answer: Prometheus sent a warning ("${PARTIAL}"), so series may be missing (prometheus.onWarnings: inconclusive); would have been pass: 0.001 <= max 0.01`);
  });

  it('a fail with a warning is inconclusive too (a missing denominator fails falsely)', () => {
    const m = evaluateGate(gate({ max: 0.01 }), { at: AT, samples: warned([sample(0.5)], PARTIAL) });
    expect(m.verdict).toBe('inconclusive');
    expect(m.reason).toContain('would have been fail: 0.5 > max 0.01');
  });

  it('warnings on the baseline or the minSamples answer count as well; each kept once', () => {
    const g = gate({ baseline: 'b', maxIncrease: { kind: 'relative', value: 0.1 }, minSamples: { query: 'c', min: 1 } });
    const m = evaluateGate(g, { at: AT, samples: [sample(1)], baseline: warned([sample(1)], 'w1'), minSamples: warned([sample(10)], 'w1', 'w2') });
    expect(m.verdict).toBe('inconclusive');
    expect(m.warnings).toEqual(['w1', 'w2']);
    expect(m.reason).toMatch(/^partial answer: Prometheus sent 2 warnings \("w1", "w2"\)/);
  });

  it('a range answer with warnings (for windows)', () => {
    const series = warned([{ labels: {}, points: [[T - 60, 0.001], [T, 0.001]] as Array<[number, number]> }], PARTIAL);
    const m = evaluateGate(gate({ max: 0.01, forMs: 60_000, stepMs: 60_000 }), { at: AT, range: { series, start: new Date(AT.getTime() - 60_000), end: AT, stepMs: 60_000 } });
    expect(m.verdict).toBe('inconclusive');
    expect(m.warnings).toEqual([PARTIAL]);
  });

  it('onWarnings: ignore judges the answer, and still records the warnings', () => {
    const m = evaluateGate(gate({ max: 0.01, onWarnings: 'ignore' }), { at: AT, samples: warned([sample(0.001)], PARTIAL) });
    expect(m.verdict).toBe('pass');
    expect(m.warnings).toEqual([PARTIAL]);
    expect(m.reason).toBe('0.001 <= max 0.01');
  });

  it('no warnings: no warnings field (control)', () => {
    const m = evaluateGate(gate({ max: 0.01 }), { at: AT, samples: warned([sample(0.001)]) });
    expect(m.verdict).toBe('pass');
    expect(m).not.toHaveProperty('warnings');
  });

  it('already inconclusive: the warnings are added to the reason', () => {
    const m = evaluateGate(gate({ max: 0.01 }), { at: AT, samples: warned([], PARTIAL) });
    expect(m.verdict).toBe('inconclusive');
    expect(m.reason).toBe(`no data: the query returned no series (onEmpty: inconclusive); and Prometheus sent a warning ("${PARTIAL}")`);
  });
});

describe('evaluateGate: stale samples are inconclusive (issue 7.9)', () => {
  const at = (value: number, ageS: number): Sample => ({ labels: {}, value, timestamp: T - ageS });

  it('a sample older than maxSampleAge is inconclusive, and the reason says how old', () => {
    const m = evaluateGate(gate({ max: 0.01, maxSampleAgeMs: 60_000 }), { at: AT, samples: [at(0.001, 300)] });
    expect(m.verdict).toBe('inconclusive');
    expect(m.reason).toBe('stale data: the newest sample of the query is 5m old at the query time, older than the 1m allowed (prometheus.maxSampleAge, default twice analysis.interval); would have been pass: 0.001 <= max 0.01');
  });

  it('within the limit it decides (boundary: exactly the limit is fresh enough)', () => {
    expect(evaluateGate(gate({ max: 0.01, maxSampleAgeMs: 60_000 }), { at: AT, samples: [at(0.001, 60)] }).verdict).toBe('pass');
    expect(evaluateGate(gate({ max: 0.01, maxSampleAgeMs: 60_000 }), { at: AT, samples: [at(0.5, 0)] }).verdict).toBe('fail');
  });

  it('a stale baseline or minSamples answer counts too', () => {
    const g = gate({ baseline: 'b', maxIncrease: { kind: 'relative', value: 0.1 }, maxSampleAgeMs: 30_000 });
    const m = evaluateGate(g, { at: AT, samples: [at(1, 0)], baseline: [at(1, 45)] });
    expect(m.verdict).toBe('inconclusive');
    expect(m.reason).toMatch(/^stale data: the newest sample of the baseline query is 45s old/);
    const guard = gate({ max: 1, minSamples: { query: 'c', min: 1 }, maxSampleAgeMs: 30_000 });
    expect(evaluateGate(guard, { at: AT, samples: [at(0, 0)], minSamples: [at(100, 3600)] }).reason).toMatch(/^stale data: the newest sample of the minSamples query is 1h old/);
  });

  it('a range series whose newest point is old is inconclusive; the step grid is allowed for', () => {
    const window = (lastAgeS: number, stepMs: number) => ({
      at: AT,
      range: { series: [{ labels: {}, points: [[T - 600, 0.001], [T - lastAgeS, 0.001]] as Array<[number, number]> }], start: new Date(AT.getTime() - 600_000), end: AT, stepMs },
    });
    expect(evaluateGate(gate({ max: 0.01, forMs: 600_000, maxSampleAgeMs: 60_000 }), window(300, 60_000)).verdict).toBe('inconclusive');
    expect(evaluateGate(gate({ max: 0.01, forMs: 600_000, maxSampleAgeMs: 60_000 }), window(90, 120_000)).verdict).toBe('pass');
  });

  it('without maxSampleAgeMs nothing is checked (hand-built specs); plans always set it', () => {
    expect(evaluateGate(gate({ max: 0.01 }), { at: AT, samples: [at(0.001, 86_400)] }).verdict).toBe('pass');
  });
});

describe('evaluateGate: staleness is judged per answer, not per series', () => {
  it('one series that ended (a replaced pod) next to a fresh one is not stale', () => {
    const g = gate({ max: 0.01, maxSampleAgeMs: 60_000 });
    expect(evaluateGate(g, { at: AT, samples: [{ labels: { pod: 'old' }, value: 0.001, timestamp: T - 600 }, { labels: { pod: 'new' }, value: 0.001, timestamp: T }] }).verdict).toBe('pass');
    const window = { at: AT, range: { series: [{ labels: { pod: 'old' }, points: [[T - 600, 0.001]] as Array<[number, number]> }, { labels: { pod: 'new' }, points: [[T - 60, 0.001], [T, 0.001]] as Array<[number, number]> }], start: new Date(AT.getTime() - 600_000), end: AT, stepMs: 60_000 } };
    expect(evaluateGate(gate({ max: 0.01, forMs: 600_000, maxSampleAgeMs: 60_000 }), window).verdict).toBe('pass');
  });
});
