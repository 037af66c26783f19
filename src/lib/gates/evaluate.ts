/**
 * Pure gate evaluation: (gate, fetched data) → Measurement with a verdict and a reason a person can read.
 * No I/O here; measure.ts fetches, this judges (the split argo-rollouts makes between metric
 * providers and evaluate.go).
 *
 * Rules that keep a broken measurement from ever passing:
 * - no series, or NaN, is "empty": the gate's onEmpty decides (default inconclusive); ±Inf is a value.
 * - a baseline that is empty or NaN makes the comparison inconclusive, whatever onEmpty says.
 * - a minSamples guard below its minimum (or without data) makes the measurement inconclusive,
 *   neither pass nor fail: too little traffic to judge either way.
 * - `for` (sustained): fail only when EVERY point of the window is present and breached. A window
 *   in which one present point is within the threshold passes (the breach was not sustained). A
 *   window whose present points all breach but which has missing points (a scrape gap, a series
 *   younger than the window) is inconclusive: not proven sustained, and not proven healthy either.
 * - multi-series: each series is judged; the worst decides (fail > error > inconclusive > pass).
 * - a baseline or minSamples count that is not finite (+Inf from histogram_quantile past the top
 *   bucket, NaN) is inconclusive: "any value <= +Inf" would pass every canary.
 * - a sample older than gate.maxSampleAgeMs at the query time is inconclusive: a cache or a stalled
 *   pipeline answering with old data says nothing about the canary now.
 * - an answer with warnings (Thanos/Mimir partial response) may be missing series, e.g. the 5xx
 *   numerator of an error rate: inconclusive unless the plan says `prometheus.onWarnings: ignore`.
 *   The warnings are kept verbatim in the measurement either way.
 */
import { formatDuration } from '../duration.js';
import type { BaselineLimit, GateSpec, OnEmpty } from '../plan/types.js';
import type { RangeResult, RangeSeries, Sample, Samples } from '../prometheus/types.js';
import type { Measurement, SeriesVerdict, Verdict } from './types.js';

/** What measure.ts fetched for one gate. */
export interface GateData {
  at: Date;
  /** Instant result of gate.query (gates without `for`). */
  samples?: Samples;
  /** Range result of gate.query over [start, end] (gates with `for`). */
  range?: { series: RangeResult; start: Date; end: Date; stepMs: number };
  /** Instant result of gate.baseline, when the gate has one. */
  baseline?: Samples;
  /** Instant result of gate.minSamples.query, when the gate has one. */
  minSamples?: Samples;
}

/** Severity order of verdicts: the worst series (or gate) decides. */
export const VERDICT_RANK: Record<Verdict, number> = { pass: 0, inconclusive: 1, error: 2, fail: 3 };

/** Numbers as people read them: 6 significant digits, Prometheus' spelling of the special values. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(Number(value.toPrecision(6)));
}

/** `{pod="b",code="500"}`, or `{}` for a series without labels. */
export function formatLabels(labels: Record<string, string>): string {
  return `{${Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',')}}`;
}

const formatLimit = (limit: BaselineLimit, sign: '+' | '-'): string =>
  limit.kind === 'relative' ? `${sign}${formatValue(limit.value * 100)}%` : `${sign}${formatValue(limit.value)}`;

/** The gate's threshold in a short human form: "<= 0.01", ">= 0.9, <= 1", "<= baseline +10%", "sustained 2m <= 0.12". */
export function describeThreshold(gate: GateSpec): string {
  const parts: string[] = [];
  if (gate.min !== undefined) parts.push(`>= ${formatValue(gate.min)}`);
  if (gate.max !== undefined) parts.push(`<= ${formatValue(gate.max)}`);
  if (gate.maxIncrease) parts.push(`<= baseline ${formatLimit(gate.maxIncrease, '+')}`);
  if (gate.maxDecrease) parts.push(`>= baseline ${formatLimit(gate.maxDecrease, '-')}`);
  const text = parts.length > 0 ? parts.join(', ') : '(no threshold)';
  return gate.forMs !== undefined ? `sustained ${formatDuration(gate.forMs)} ${text}` : text;
}

/** One bound a value must respect; `label` says where it comes from ("max 0.01", "baseline 0.1 +10% (0.11)"). */
interface Check {
  bound: 'upper' | 'lower';
  limit: number;
  label: string;
}

function checksFor(gate: GateSpec, baseline: number | undefined): Check[] {
  const checks: Check[] = [];
  if (gate.max !== undefined) checks.push({ bound: 'upper', limit: gate.max, label: `max ${formatValue(gate.max)}` });
  if (gate.min !== undefined) checks.push({ bound: 'lower', limit: gate.min, label: `min ${formatValue(gate.min)}` });
  if (baseline !== undefined) {
    if (gate.maxIncrease) {
      const { kind, value } = gate.maxIncrease;
      const limit = kind === 'relative' ? baseline * (1 + value) : baseline + value;
      checks.push({ bound: 'upper', limit, label: `baseline ${formatValue(baseline)} ${formatLimit(gate.maxIncrease, '+')} (${formatValue(limit)})` });
    }
    if (gate.maxDecrease) {
      const { kind, value } = gate.maxDecrease;
      const limit = kind === 'relative' ? baseline * (1 - value) : baseline - value;
      checks.push({ bound: 'lower', limit, label: `baseline ${formatValue(baseline)} ${formatLimit(gate.maxDecrease, '-')} (${formatValue(limit)})` });
    }
  }
  return checks;
}

/** How far past its limits a value is (> 0: breached); the largest excess over all checks. */
function excess(value: number, checks: Check[]): number {
  let worst = Number.NEGATIVE_INFINITY;
  for (const check of checks) {
    const over = check.bound === 'upper' ? value - check.limit : check.limit - value;
    // Inf - Inf is NaN: an infinite value against an infinite limit is not a breach.
    worst = Math.max(worst, Number.isNaN(over) ? Number.NEGATIVE_INFINITY : over);
  }
  return worst;
}

function breachedCheck(value: number, checks: Check[]): Check | undefined {
  return checks.find((c) => (c.bound === 'upper' ? value > c.limit : value < c.limit));
}

function withinText(value: number, checks: Check[]): string {
  if (checks.length === 1) return `${formatValue(value)} ${checks[0]!.bound === 'upper' ? '<=' : '>='} ${checks[0]!.label}`;
  return `${formatValue(value)} within ${checks.map((c) => c.label).join(' and ')}`;
}

const breachText = (value: number, check: Check): string => `${formatValue(value)} ${check.bound === 'upper' ? '>' : '<'} ${check.label}`;

function emptyVerdict(onEmpty: OnEmpty): Verdict {
  return onEmpty;
}

/** A series judgement plus how bad it is, to pick the worst series. */
interface Judged extends SeriesVerdict {
  severity: number;
}

type BaselineFor = (labels: Record<string, string>) => { value: number } | { reason: string } | undefined;

/** Resolves the baseline value of each series: one baseline series serves all; several are matched by labels. */
function baselineResolver(gate: GateSpec, baseline: Sample[] | undefined): BaselineFor {
  if (gate.baseline === undefined) return () => undefined;
  const usable = (baseline ?? []).filter((s) => !Number.isNaN(s.value));
  if (usable.length === 0) {
    const why = (baseline ?? []).length === 0 ? 'the baseline query returned no series' : 'the baseline value is NaN';
    return () => ({ reason: `no baseline: ${why}` });
  }
  if (usable.length === 1) return () => finiteBaseline(usable[0]!.value);
  return (labels) => {
    const key = formatLabels(labels);
    const match = usable.find((s) => formatLabels(s.labels) === key);
    return match ? finiteBaseline(match.value) : { reason: `no baseline series with the labels ${key}` };
  };
}

/** An infinite baseline makes every relative or absolute limit infinite: nothing could fail against it. */
function finiteBaseline(value: number): { value: number } | { reason: string } {
  if (Number.isFinite(value)) return { value };
  return { reason: `no usable baseline: the baseline value is ${formatValue(value)} (not finite, e.g. histogram_quantile above the top bucket)` };
}

function judgeInstant(gate: GateSpec, sample: Sample, baselineFor: BaselineFor): Judged {
  const { labels, value } = sample;
  if (Number.isNaN(value)) {
    return { labels, value: null, verdict: emptyVerdict(gate.onEmpty), reason: `no data: the value is NaN (onEmpty: ${gate.onEmpty})`, severity: Number.NEGATIVE_INFINITY };
  }
  const base = baselineFor(labels);
  if (base && 'reason' in base) return { labels, value, verdict: 'inconclusive', reason: base.reason, severity: Number.NEGATIVE_INFINITY };
  const checks = checksFor(gate, base?.value);
  const breached = breachedCheck(value, checks);
  const severity = excess(value, checks);
  if (breached) return { labels, value, verdict: 'fail', reason: breachText(value, breached), severity };
  return { labels, value, verdict: 'pass', reason: withinText(value, checks), severity };
}

function judgeWindow(gate: GateSpec, series: RangeSeries, window: NonNullable<GateData['range']>, baselineFor: BaselineFor): Judged {
  const { labels } = series;
  const span = formatDuration(window.end.getTime() - window.start.getTime());
  const expected = Math.floor((window.end.getTime() - window.start.getTime()) / window.stepMs) + 1;
  const points = series.points.filter(([, v]) => !Number.isNaN(v));
  if (points.length === 0) {
    return { labels, value: null, verdict: emptyVerdict(gate.onEmpty), reason: `no data in the ${span} window (onEmpty: ${gate.onEmpty})`, severity: Number.NEGATIVE_INFINITY };
  }
  const base = baselineFor(labels);
  if (base && 'reason' in base) return { labels, value: null, verdict: 'inconclusive', reason: base.reason, severity: Number.NEGATIVE_INFINITY };
  const checks = checksFor(gate, base?.value);
  // The point closest to (or furthest inside) the threshold decides: one good point disproves "sustained".
  let best = points[0]!;
  let bestExcess = excess(best[1], checks);
  let breachedCount = 0;
  for (const point of points) {
    const e = excess(point[1], checks);
    if (breachedCheck(point[1], checks)) breachedCount += 1;
    if (e < bestExcess) {
      best = point;
      bestExcess = e;
    }
  }
  const [bestAt, bestValue] = best;
  const present = Math.min(points.length, expected);
  if (breachedCount < points.length) {
    const when = new Date(bestAt * 1_000).toISOString();
    return {
      labels,
      value: bestValue,
      verdict: 'pass',
      reason: `not sustained: ${withinText(bestValue, checks)} at ${when} (breached at ${breachedCount} of ${present} points in ${span})`,
      severity: bestExcess,
    };
  }
  const breached = breachedCheck(bestValue, checks)!;
  if (present < expected) {
    return {
      labels,
      value: bestValue,
      verdict: 'inconclusive',
      reason: `not proven sustained: breached at all ${present} points present, but ${expected - present} of ${expected} points of the ${span} window are missing`,
      severity: bestExcess,
    };
  }
  return { labels, value: bestValue, verdict: 'fail', reason: `breached for ${span} (all ${expected} points); closest ${breachText(bestValue, breached)}`, severity: bestExcess };
}

function pickWorst(judged: Judged[]): Judged {
  return judged.reduce((worst, s) => {
    const rank = VERDICT_RANK[s.verdict] - VERDICT_RANK[worst.verdict];
    return rank > 0 || (rank === 0 && s.severity > worst.severity) ? s : worst;
  });
}

function seriesSummary(judged: Judged[]): string {
  const counts = new Map<Verdict, number>();
  for (const s of judged) counts.set(s.verdict, (counts.get(s.verdict) ?? 0) + 1);
  const words: Record<Verdict, string> = { fail: 'failed', error: 'error', inconclusive: 'inconclusive', pass: 'passed' };
  return (['fail', 'error', 'inconclusive', 'pass'] as const)
    .filter((v) => counts.has(v))
    .map((v) => `${counts.get(v)} ${words[v]}`)
    .join(', ');
}

/** Sums the guard query's series; undefined when it returned nothing usable. May be ±Inf. */
function sampleCount(samples: Sample[] | undefined): number | undefined {
  const values = (samples ?? []).map((s) => s.value).filter((v) => !Number.isNaN(v));
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0);
}

/** Every warning of the answers the gate is judged on, once each, in the order received. */
function collectWarnings(data: GateData): string[] {
  const all = [...(data.samples?.warnings ?? []), ...(data.range?.series.warnings ?? []), ...(data.baseline?.warnings ?? []), ...(data.minSamples?.warnings ?? [])];
  return [...new Set(all)];
}

/**
 * The first answer whose newest sample is older than the limit, with its age; undefined when every
 * answer is fresh enough. Per answer, not per series: a series that ended inside a `for` window
 * (a pod replaced) is a gap the window judges, while an answer with nothing recent at all comes
 * from a cache or a stalled pipeline.
 */
function staleAnswer(gate: GateSpec, data: GateData): { ageMs: number; what: string; limitMs: number } | undefined {
  const limit = gate.maxSampleAgeMs;
  if (limit === undefined) return undefined;
  const at = data.at.getTime();
  let worst: { ageMs: number; what: string; limitMs: number } | undefined;
  const consider = (timestamps: number[], what: string, limitMs: number): void => {
    if (timestamps.length === 0 || worst) return;
    const ageMs = at - Math.max(...timestamps) * 1_000;
    if (ageMs > limitMs) worst = { ageMs, what, limitMs };
  };
  consider((data.samples ?? []).map((s) => s.timestamp), 'the query', limit);
  if (data.range) {
    // A range answer's last point sits on the step grid, up to one step before the window's end.
    consider(data.range.series.flatMap((s) => s.points.map(([t]) => t)), 'the query', Math.max(limit, data.range.stepMs));
  }
  consider((data.baseline ?? []).map((s) => s.timestamp), 'the baseline query', limit);
  consider((data.minSamples ?? []).map((s) => s.timestamp), 'the minSamples query', limit);
  return worst;
}

function quoteWarnings(warnings: readonly string[]): string {
  const shown = warnings.slice(0, 3).map((w) => JSON.stringify(w)).join(', ');
  return warnings.length > 3 ? `${shown} and ${warnings.length - 3} more` : shown;
}

/** Judges one gate against the data fetched for it. Pure and total: it never throws. */
export function evaluateGate(gate: GateSpec, data: GateData): Measurement {
  const baselineFor = baselineResolver(gate, data.baseline);
  const judged: Judged[] =
    gate.forMs !== undefined && data.range
      ? data.range.series.map((s) => judgeWindow(gate, s, data.range!, baselineFor))
      : (data.samples ?? []).map((s) => judgeInstant(gate, s, baselineFor));

  const baselineValues = (data.baseline ?? []).filter((s) => !Number.isNaN(s.value));
  const measurement: Measurement = {
    gate: gate.name,
    verdict: 'inconclusive',
    value: null,
    threshold: describeThreshold(gate),
    query: gate.query,
    ...(gate.baseline !== undefined ? { baselineQuery: gate.baseline, baselineValue: baselineValues.length === 1 ? baselineValues[0]!.value : null } : {}),
    reason: '',
    severity: gate.severity,
    at: data.at.toISOString(),
    series: judged.map(({ labels, value, verdict, reason }) => ({ labels, value, verdict, reason })),
  };

  if (judged.length === 0) {
    measurement.verdict = emptyVerdict(gate.onEmpty);
    measurement.reason = `no data: the query returned no series (onEmpty: ${gate.onEmpty})`;
  } else {
    const worst = pickWorst(judged);
    measurement.verdict = worst.verdict;
    measurement.value = worst.value;
    measurement.reason = judged.length > 1 ? `${worst.reason} — series ${formatLabels(worst.labels)}; ${judged.length} series: ${seriesSummary(judged)}` : worst.reason;
  }

  // The guard comes last so it overrides everything: with too little traffic neither pass nor fail means anything.
  if (gate.minSamples) {
    const count = sampleCount(data.minSamples);
    measurement.samples = count ?? null;
    if (count === undefined) {
      measurement.verdict = 'inconclusive';
      measurement.reason = `no sample count: the minSamples query returned no data (needs ${formatValue(gate.minSamples.min)})`;
    } else if (!Number.isFinite(count)) {
      // +Inf "samples" is not plenty of traffic, it is a broken count (a division by zero upstream).
      measurement.verdict = 'inconclusive';
      measurement.reason = `no usable sample count: the minSamples query returned ${formatValue(count)} (needs a finite count of at least ${formatValue(gate.minSamples.min)})`;
    } else if (count < gate.minSamples.min) {
      measurement.verdict = 'inconclusive';
      measurement.reason = `only ${formatValue(count)} samples, fewer than ${formatValue(gate.minSamples.min)}`;
    }
  }

  const stale = staleAnswer(gate, data);
  if (stale && measurement.verdict !== 'inconclusive') {
    measurement.reason = `stale data: the newest sample of ${stale.what} is ${formatDuration(Math.round(stale.ageMs))} old at the query time, older than the ${formatDuration(stale.limitMs)} allowed (prometheus.maxSampleAge, default twice analysis.interval); would have been ${measurement.verdict}: ${measurement.reason}`;
    measurement.verdict = 'inconclusive';
  }

  // Last, so a partial answer is never hidden behind another reason: it may have removed the very series that decide.
  const warnings = collectWarnings(data);
  if (warnings.length > 0) {
    measurement.warnings = warnings;
    if (gate.onWarnings !== 'ignore' && measurement.verdict !== 'inconclusive') {
      measurement.reason = `partial answer: Prometheus sent ${warnings.length === 1 ? 'a warning' : `${warnings.length} warnings`} (${quoteWarnings(warnings)}), so series may be missing (prometheus.onWarnings: inconclusive); would have been ${measurement.verdict}: ${measurement.reason}`;
      measurement.verdict = 'inconclusive';
    } else if (gate.onWarnings !== 'ignore') {
      measurement.reason = `${measurement.reason}; and Prometheus sent ${warnings.length === 1 ? 'a warning' : `${warnings.length} warnings`} (${quoteWarnings(warnings)})`;
    }
  }
  return measurement;
}

/** The measurement of a gate whose queries failed: verdict error, the provider's message as the reason. */
export function errorMeasurement(gate: GateSpec, at: Date, error: { message: string; errorType?: string }): Measurement {
  return {
    gate: gate.name,
    verdict: 'error',
    value: null,
    threshold: describeThreshold(gate),
    query: gate.query,
    ...(gate.baseline !== undefined ? { baselineQuery: gate.baseline, baselineValue: null } : {}),
    reason: error.message,
    severity: gate.severity,
    at: at.toISOString(),
    series: [],
    errorType: error.errorType ?? 'error',
  };
}
