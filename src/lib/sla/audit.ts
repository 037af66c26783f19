/**
 * The SLA audit: for each SLO of a policy, over its period minus exclusions, the achieved SLI,
 * the error budget, burn rates and burn-rate alerts at the end of the period and every interval
 * in which each alert would have fired; for each rule, every sustained violation interval.
 *
 * Prometheus computes every ratio (instant queries with `{{range}}` set to exact sub-interval
 * lengths; range queries in bounded chunks); this module only adds up numbers and turns 0/1
 * points into intervals. Nothing here prints or stores: the caller records and renders.
 */
import { toPromDuration } from '../duration.js';
import type { PrometheusApi } from '../prometheus/types.js';
import { BURN_RATE_WINDOWS_MS, burnAlertWindows, promWindow } from './burn-windows.js';
import {
  alertFiringQuery,
  errorRatioQuery,
  eventCountQueries,
  ruleBreachQuery,
  ruleCoverageQuery,
  sliceValueQuery,
  withRange,
} from './audit-queries.js';
import { AuditQueryRunner } from './audit-query-runner.js';
import type { AlertResult, AuditResult, AuditVerdict, BurnRateResult, IntervalOut, QueryRecord, RuleResult, SloResult } from './audit-types.js';
import { budgetRatio, burnRate, errorBudget } from './budget.js';
import { RunBuilder, mergeRuns, subtractIntervals, totalLength, type Interval, type Run } from './intervals.js';
import type { Exclusion, SlaPolicyModel, SlaRule, Slo } from './model.js';
import { resolvePeriod, type AuditPeriod, type PeriodRequest } from './period.js';

export interface AuditRequest {
  period: Omit<PeriodRequest, 'now'>;
  now: Date;
  /** Queries in flight at once, across every SLO and rule (default 8). */
  concurrency?: number;
}

const MINUTE = 60_000;
/** Points of the HTML burn-down chart. */
const CURVE_POINTS = 200;
/** ratio SLIs are averaged over points this far apart (each the ratio over the step before it). */
const RATIO_STEP_MS = 5 * MINUTE;
/** Below this share of points with a value, a ratio SLI is not judged. */
export const MIN_RATIO_COVERAGE = 0.9;

const iso = (ms: number): string => new Date(ms).toISOString();

export async function auditPolicy(policy: SlaPolicyModel, api: PrometheusApi, request: AuditRequest): Promise<AuditResult> {
  const runner = new AuditQueryRunner(api, request.concurrency ?? 8);
  const periodRequest: PeriodRequest = { ...request.period, now: request.now };
  const periods = policy.slos.map((slo) => resolvePeriod(slo.window, periodRequest));
  const rulePeriod = rulesPeriod(periods, periodRequest);
  const [slos, rules] = await Promise.all([
    Promise.all(policy.slos.map((slo, i) => auditSlo(slo, periods[i]!, runner))),
    Promise.all(policy.rules.map((rule) => auditRule(rule, rulePeriod, commonExclusions(policy.slos), runner))),
  ]);
  return {
    verdict: overallVerdict(slos, rules),
    from: iso(Math.min(rulePeriod.from.getTime(), ...periods.map((p) => p.from.getTime()))),
    to: iso(Math.max(rulePeriod.to.getTime(), ...periods.map((p) => p.to.getTime()))),
    slos,
    rules,
    queryCount: runner.count,
  };
}

/** Violated beats not-enough-data beats compliant; warning rules never decide. */
export function overallVerdict(slos: readonly Pick<SloResult, 'status'>[], rules: readonly Pick<RuleResult, 'severity' | 'violated' | 'insufficient'>[]): AuditVerdict {
  const critical = rules.filter((r) => r.severity === 'critical');
  if (slos.some((s) => s.status === 'violated') || critical.some((r) => r.violated)) return 'violated';
  if (slos.some((s) => s.status === 'insufficient_data') || critical.some((r) => r.insufficient)) return 'insufficient_data';
  return 'compliant';
}

/** Rules have no window of their own: the span of the SLOs' periods, or the flags' (30d rolling by default). */
function rulesPeriod(periods: readonly AuditPeriod[], request: PeriodRequest): AuditPeriod {
  if (periods.length > 0) {
    const from = Math.min(...periods.map((p) => p.from.getTime()));
    const to = Math.max(...periods.map((p) => p.to.getTime()));
    return { from: new Date(from), to: new Date(to), nominalMs: to - from, kind: periods[0]!.kind, label: periods[0]!.label };
  }
  return resolvePeriod({ kind: 'rolling', durationMs: 30 * 86_400_000 }, request);
}

/** Policy-level exclusions are merged into every SLO by the loaders: the ones all SLOs share apply to rules. */
function commonExclusions(slos: readonly Slo[]): Exclusion[] {
  const [first, ...rest] = slos;
  if (!first) return [];
  const key = (e: Exclusion): string => `${e.from}|${e.to}`;
  return first.exclude.filter((e) => rest.every((s) => s.exclude.some((o) => key(o) === key(e))));
}

function toIntervals(exclusions: readonly Exclusion[]): Interval[] {
  return exclusions.map((e) => ({ start: Date.parse(e.from), end: Date.parse(e.to) }));
}

/** The exclusions that touch the period, as listed in every output. */
function excludedIn(period: Interval, exclusions: readonly Exclusion[]): Exclusion[] {
  return exclusions.filter((e) => Date.parse(e.from) < period.end && Date.parse(e.to) > period.start);
}

async function auditSlo(slo: Slo, period: AuditPeriod, runner: AuditQueryRunner): Promise<SloResult> {
  const whole = { start: period.from.getTime(), end: period.to.getTime() };
  const included = subtractIntervals(whole, toIntervals(slo.exclude));
  const includedMs = totalLength(included);
  const queries: QueryRecord[] = [];
  const reasons: string[] = [];
  const budget = budgetRatio(slo.objective);
  const base: SloResult = {
    name: slo.name,
    sliKind: slo.sli.kind,
    objective: slo.objective,
    from: iso(whole.start),
    to: iso(whole.end),
    period: period.label,
    sli: null,
    compliant: null,
    status: 'insufficient_data',
    reasons,
    lowTraffic: false,
    excluded: excludedIn(whole, slo.exclude).map((e) => ({ from: e.from, to: e.to, reason: e.reason })),
    includedSeconds: includedMs / 1_000,
    counts: {},
    errorBudget: null,
    burnRates: [],
    alerts: [],
    budgetCurve: [],
    queries,
  };
  const last = included[included.length - 1];
  if (!last) {
    reasons.push('the whole period is excluded');
    return base;
  }
  const end = new Date(last.end);

  const [measured, burnRates, alerts] = await Promise.all([
    measureSli(slo, included, whole, runner, queries),
    measureBurnRates(slo, end, runner, queries),
    measureAlerts(slo, period, included, end, runner, queries),
  ]);
  reasons.push(...measured.reasons, ...burnRates.reasons, ...alerts.reasons);
  const result: SloResult = { ...base, counts: measured.counts, burnRates: burnRates.rates, alerts: alerts.alerts, lowTraffic: measured.lowTraffic };
  if (measured.errorRatio !== null) {
    result.sli = 1 - measured.errorRatio;
    result.errorBudget = errorBudget(slo.objective, measured.errorRatio, includedMs / 1_000);
    result.budgetCurve = measured.curve(budget);
  }
  const partial = reasons.some((r) => r.includes('partial answer'));
  // Zero events under a minEvents guard is low traffic (compliant); zero events without one is no data.
  if (partial || measured.insufficient || (measured.errorRatio === null && !measured.lowTraffic)) {
    result.status = 'insufficient_data';
    result.compliant = null;
  } else if (measured.lowTraffic) {
    // Fewer events than minEvents over the whole period: never counted as bad (documented rule).
    result.status = 'compliant';
    result.compliant = true;
  } else {
    // A tolerance of 1e-12 keeps 1 - 0.001 from failing 99.9 on float noise.
    result.compliant = (measured.errorRatio ?? Infinity) <= budget + 1e-12;
    result.status = result.compliant ? 'compliant' : 'violated';
  }
  return result;
}

interface SliMeasurement {
  errorRatio: number | null;
  lowTraffic: boolean;
  insufficient: boolean;
  reasons: string[];
  counts: Record<string, number>;
  /** The burn-down curve, given the budget ratio (known totals are needed to scale it). */
  curve: (budget: number) => Array<[number, number]>;
}

const warned = (purpose: string, warnings: readonly string[]): string[] => (warnings.length > 0 ? [`${purpose}: partial answer (${warnings.join('; ')})`] : []);

function measureSli(slo: Slo, included: Interval[], whole: Interval, runner: AuditQueryRunner, queries: QueryRecord[]): Promise<SliMeasurement> {
  switch (slo.sli.kind) {
    case 'errorRatio':
      return measureEvents(slo, slo.sli, included, whole, runner, queries);
    case 'ratio':
      return measureSampled(slo, included, runner, queries, RATIO_STEP_MS);
    case 'timeslices':
      return measureSampled(slo, included, runner, queries, slo.sli.sliceMs);
  }
}

/** errorRatio: 1 - Σ errors / Σ total over the included sub-intervals, each counted exactly by an instant query at its end. */
async function measureEvents(
  slo: Slo,
  sli: Extract<Slo['sli'], { kind: 'errorRatio' }>,
  included: Interval[],
  whole: Interval,
  runner: AuditQueryRunner,
  queries: QueryRecord[],
): Promise<SliMeasurement> {
  const reasons: string[] = [];
  const parts = await Promise.all(
    included.map(async (sub) => {
      const q = eventCountQueries(sli, sub.end - sub.start);
      const at = new Date(sub.end);
      const [errors, total] = await Promise.all([runner.instant('errors', q.errors, at, queries), runner.instant('total', q.total, at, queries)]);
      return { errors, total };
    }),
  );
  let errors = 0;
  let total = 0;
  let missing = false;
  for (const part of parts) {
    reasons.push(...warned('errors', part.errors.warnings), ...warned('total', part.total.warnings));
    if (part.errors.value === null || part.total.value === null) {
      missing = true;
      reasons.push(...[part.errors.problem, part.total.problem].filter((p): p is string => p !== undefined));
      continue;
    }
    errors += part.errors.value;
    total += part.total.value;
  }
  const lowTraffic = !missing && slo.minEvents !== undefined && total < slo.minEvents;
  if (lowTraffic) reasons.push(`${total} events, fewer than minEvents ${slo.minEvents}: low traffic is never counted as bad`);
  if (!missing && total === 0 && !lowTraffic) reasons.push('no events in the period');
  const errorRatio = missing || total === 0 ? null : errors / total;

  // Burn-down: errors per bucket across the whole period, scaled by the exact totals above.
  const bucketMs = Math.max(MINUTE, Math.ceil((whole.end - whole.start) / CURVE_POINTS / MINUTE) * MINUTE);
  const excludedSpans = subtractIntervals(whole, included);
  const cumulative: Array<[number, number]> = [];
  let sum = 0;
  const curveWarnings = await runner.range('budget curve', eventCountQueries(sli, bucketMs).errors, { start: whole.start + bucketMs, end: whole.end }, bucketMs, queries, (series) => {
    for (const s of series) {
      for (const [t, v] of s.points) {
        const ms = Math.round(t * 1_000);
        // A bucket ending inside an excluded span is left out of the chart (the totals above are exact).
        if (excludedSpans.some((x) => ms > x.start && ms <= x.end) || !Number.isFinite(v)) continue;
        sum += v;
        cumulative.push([t, sum]);
      }
    }
  });
  reasons.push(...warned('budget curve', curveWarnings));
  return {
    errorRatio,
    lowTraffic,
    insufficient: false,
    reasons,
    counts: { errors, total },
    curve: (budget) => (total > 0 ? cumulative.map(([t, c]) => [t, 1 - c / (budget * total)]) : []),
  };
}

/**
 * ratio (time-averaged error ratio) and timeslices (share of good slices): a range query at a fixed
 * step over each included sub-interval, first point one step after its start so no window reaches
 * into an exclusion. Streams chunks; keeps counters and a downsampled cumulative curve.
 */
async function measureSampled(slo: Slo, included: Interval[], runner: AuditQueryRunner, queries: QueryRecord[], stepMs: number): Promise<SliMeasurement> {
  const sli = slo.sli;
  const reasons: string[] = [];
  const includedMs = totalLength(included);
  const tickMs = Math.max(stepMs, includedMs / CURVE_POINTS);
  let expected = 0;
  let valued = 0;
  let bad = 0;
  let nextTick = -Infinity;
  const cumulative: Array<[number, number]> = [];
  const query = sli.kind === 'timeslices' ? sliceValueQuery(sli) : withRange((sli as { query: string }).query, stepMs);
  const isBad = (v: number): boolean => sli.kind === 'timeslices' && ((sli.max !== undefined && v > sli.max) || (sli.min !== undefined && v < sli.min));
  let multi = false;
  for (const sub of included) {
    const first = Math.ceil((sub.start + stepMs) / stepMs) * stepMs;
    const last = Math.floor(sub.end / stepMs) * stepMs;
    if (last >= first) expected += (last - first) / stepMs + 1;
    const warnings = await runner.range(sli.kind === 'timeslices' ? 'slices' : 'ratio', query, { start: sub.start + stepMs, end: sub.end }, stepMs, queries, (series) => {
      if (series.length > 1) multi = true;
      for (const s of series.slice(0, 1)) {
        for (const [t, v] of s.points) {
          if (!Number.isFinite(v)) continue;
          valued += 1;
          bad += sli.kind === 'timeslices' ? (isBad(v) ? 1 : 0) : v;
          if (t * 1_000 >= nextTick) {
            cumulative.push([t, bad]);
            nextTick = t * 1_000 + tickMs;
          }
        }
      }
    });
    reasons.push(...warned(sli.kind, warnings));
  }
  if (multi) reasons.push(`${sli.kind} query returns several series; aggregate it to one (sum without by)`);
  let errorRatio: number | null = valued > 0 ? bad / valued : null;
  let insufficient = multi;
  const counts: Record<string, number> =
    sli.kind === 'timeslices' ? { goodSlices: valued - bad, badSlices: bad, slicesWithoutValue: expected - valued } : { points: valued, expectedPoints: expected };
  if (valued === 0) reasons.push(`no ${sli.kind === 'timeslices' ? 'slice' : 'point'} with a value in the period`);
  if (sli.kind === 'ratio' && valued > 0 && valued < expected * MIN_RATIO_COVERAGE) {
    reasons.push(`only ${valued} of ${expected} points have a value (under ${MIN_RATIO_COVERAGE * 100}%)`);
    insufficient = true;
  }
  if (sli.kind === 'timeslices' && expected > valued) reasons.push(`${expected - valued} of ${expected} slices had no value (no traffic): not counted`);
  if (errorRatio !== null && errorRatio < 0) errorRatio = 0;
  return {
    errorRatio,
    lowTraffic: false,
    insufficient,
    reasons,
    counts,
    curve: (budget) => (valued > 0 ? cumulative.map(([t, c]) => [t, 1 - c / (budget * valued)]) : []),
  };
}

async function measureBurnRates(slo: Slo, end: Date, runner: AuditQueryRunner, queries: QueryRecord[]): Promise<{ rates: BurnRateResult[]; reasons: string[] }> {
  const reasons: string[] = [];
  const rates = await Promise.all(
    BURN_RATE_WINDOWS_MS.map(async (windowMs) => {
      const answer = await runner.instant(`burn rate ${toPromDuration(windowMs)}`, errorRatioQuery(slo.sli, windowMs), end, queries);
      reasons.push(...warned(`burn rate ${toPromDuration(windowMs)}`, answer.warnings));
      return { window: windowLabel(windowMs), rate: answer.value === null ? null : burnRate(answer.value, slo.objective) };
    }),
  );
  return { rates, reasons };
}

/** `5m`, `1h`, `3d` — the workbook's names of the windows. */
export const windowLabel = promWindow;

/** Alert intervals are evaluated every short window / 5 (1m for the 5m page window). */
export function alertStepMs(shortWindowMs: number): number {
  return Math.max(MINUTE, Math.round(shortWindowMs / 5 / MINUTE) * MINUTE);
}

async function measureAlerts(
  slo: Slo,
  period: AuditPeriod,
  included: Interval[],
  end: Date,
  runner: AuditQueryRunner,
  queries: QueryRecord[],
): Promise<{ alerts: AlertResult[]; reasons: string[] }> {
  const reasons: string[] = [];
  const budget = budgetRatio(slo.objective);
  const alerts = await Promise.all(
    // The workbook's table scaled to the audited SLO period (src/lib/sla/burn-windows.ts, shared with `sla rules`).
    burnAlertWindows(period.nominalMs).map(async (row): Promise<AlertResult> => {
      const factor = row.factor;
      const threshold = Number((factor * budget).toPrecision(12));
      const minEvents = slo.sli.kind === 'errorRatio' ? slo.minEvents : undefined;
      const query = alertFiringQuery(slo.sli, row, threshold, minEvents);
      const stepMs = alertStepMs(row.shortWindowMs);
      const label = `${row.severity} ${windowLabel(row.longWindowMs)}/${windowLabel(row.shortWindowMs)}`;
      const intervals: IntervalOut[] = [];
      const [now, ...spans] = await Promise.all([
        runner.instant(`${label} firing at end`, query, end, queries),
        ...included.map(async (sub) => {
          const runs = new RunBuilder(stepMs);
          // Right after an exclusion the short window still holds excluded events: those evaluations are left out.
          const span = sub.start > period.from.getTime() ? { start: sub.start + row.shortWindowMs, end: sub.end } : sub;
          const warnings = await runner.range(`${label} firing intervals`, query, span, stepMs, queries, (series) => feedFiring(series, runs));
          return { sub, runs: runs.finish(), warnings };
        }),
      ]);
      reasons.push(...warned(`${label} firing at end`, now.warnings));
      for (const span of spans) {
        reasons.push(...warned(`${label} firing intervals`, span.warnings));
        for (const run of span.runs) intervals.push({ start: iso(run.start), end: iso(Math.min(run.end + stepMs, span.sub.end)) });
      }
      return {
        severity: row.severity,
        longWindow: windowLabel(row.longWindowMs),
        shortWindow: windowLabel(row.shortWindowMs),
        factor,
        threshold,
        // Only firing points come back: an empty answer at the end is "not firing", as in Prometheus itself.
        firing: now.value !== null,
        intervals,
        stepSeconds: stepMs / 1_000,
      };
    }),
  );
  return { alerts, reasons };
}

/** Every returned point is a firing one (the query filters); several series are a union. */
function feedFiring(series: ReadonlyArray<{ points: Array<[number, number]> }>, runs: RunBuilder): void {
  const times = new Set<number>();
  for (const s of series) for (const [t] of s.points) times.add(Math.round(t * 1_000));
  for (const t of [...times].sort((a, b) => a - b)) runs.add(t, 1);
}

/** Rules are evaluated every for/10, at most every minute (a `for: 30m` breach is seen to the minute). */
export function ruleStepMs(rule: Pick<SlaRule, 'forMs'>): number {
  if (rule.forMs <= 0) return MINUTE;
  return Math.min(MINUTE, Math.max(1_000, Math.round(rule.forMs / 10 / 1_000) * 1_000));
}

export function ruleCondition(rule: SlaRule): string {
  const parts: string[] = [];
  if (rule.max !== undefined) parts.push(`> ${rule.max}`);
  if (rule.min !== undefined) parts.push(`< ${rule.min}`);
  const offset = windowLabel(rule.offsetMs ?? 86_400_000);
  if (rule.maxIncrease !== undefined) parts.push(`> +${rule.maxIncrease * 100}% vs ${offset} earlier`);
  if (rule.maxDecrease !== undefined) parts.push(`< -${rule.maxDecrease * 100}% vs ${offset} earlier`);
  return parts.join(' or ');
}

async function auditRule(rule: SlaRule, period: AuditPeriod, exclusions: readonly Exclusion[], runner: AuditQueryRunner): Promise<RuleResult> {
  const queries: QueryRecord[] = [];
  const reasons: string[] = [];
  const whole = { start: period.from.getTime(), end: period.to.getTime() };
  const included = subtractIntervals(whole, toIntervals(exclusions));
  const stepMs = ruleStepMs(rule);
  const higherIsWorse = rule.max !== undefined || rule.maxIncrease !== undefined;
  const query = ruleBreachQuery(rule, stepMs);
  const lengthMs = whole.end - whole.start;
  const coarseMs = Math.max(stepMs, Math.ceil(lengthMs / 500 / MINUTE) * MINUTE);
  const [coverage, ...spans] = await Promise.all([
    runner.instant('data present', ruleCoverageQuery(rule, lengthMs, coarseMs), period.to, queries),
    ...included.map(async (sub) => {
      const runs = new RunBuilder(stepMs, higherIsWorse);
      const warnings = await runner.range('breaches', query, sub, stepMs, queries, (series) => {
        // Several series: each breaching timestamp once, with the worst value.
        const worst = new Map<number, number>();
        for (const s of series) {
          for (const [t, v] of s.points) {
            const ms = Math.round(t * 1_000);
            const seen = worst.get(ms);
            if (seen === undefined || (higherIsWorse ? v > seen : v < seen)) worst.set(ms, v);
          }
        }
        for (const [t, v] of [...worst.entries()].sort((a, b) => a[0] - b[0])) runs.add(t, v);
      });
      return { sub, runs: runs.finish(), warnings };
    }),
  ]);
  let insufficient = false;
  if (coverage.value === null || coverage.value === 0) {
    insufficient = true;
    reasons.push(`the rule's query has no data in the period${coverage.problem ? ` (${coverage.problem})` : ''}`);
  }
  reasons.push(...warned('data present', coverage.warnings));
  const violations: RuleResult['violations'] = [];
  for (const span of spans) {
    if (span.warnings.length > 0) insufficient = true;
    reasons.push(...warned('breaches', span.warnings));
    for (const run of mergeRuns(span.runs, stepMs, higherIsWorse)) {
      // Prometheus' `for`: held at every evaluation from the first to one at least `for` later.
      if (run.end - run.start < rule.forMs) continue;
      violations.push(violation(run, Math.min(run.end + stepMs, span.sub.end)));
    }
  }
  if (coverage.warnings.length > 0) insufficient = true;
  return {
    name: rule.name,
    severity: rule.severity,
    condition: ruleCondition(rule),
    for: windowLabel(rule.forMs || 0) || '0s',
    violated: violations.length > 0,
    insufficient: insufficient && violations.length === 0,
    reasons,
    violations,
    stepSeconds: stepMs / 1_000,
    queries,
  };
}

function violation(run: Run, end: number): RuleResult['violations'][number] {
  return { start: iso(run.start), end: iso(end), durationSeconds: (end - run.start) / 1_000, peak: run.peak };
}
