/**
 * Every PromQL expression the audit sends, built from the SLO model in one place. The maths of
 * ratios stays in Prometheus: the audit only ever reads one number per instant query and 0/1 or
 * ratio points of range queries, never raw samples of a month.
 *
 * Expressions assume each SLI query aggregates to one series (`sum(...)` without `by`), as the
 * policy formats document. An `errors` expression that returns nothing (no 5xx series has ever
 * existed) counts as zero errors: `or vector(0)`. `total` gets no such default: no traffic is
 * no data.
 */
import { toPromDuration } from '../duration.js';
import type { Sli, SlaRule } from './model.js';

/** Fills `{{range}}` with a Prometheus duration. */
export function withRange(template: string, rangeMs: number): string {
  return template.replaceAll(/\{\{\s*range\s*\}\}/g, toPromDuration(rangeMs));
}

const wrap = (q: string): string => `(${q.trim()})`;

/** errorRatio SLI: errors and total over exactly `rangeMs`, one number each (instant query at the interval's end). */
export function eventCountQueries(sli: Extract<Sli, { kind: 'errorRatio' }>, rangeMs: number): { errors: string; total: string } {
  return { errors: `${wrap(withRange(sli.errors, rangeMs))} or vector(0)`, total: withRange(sli.total, rangeMs) };
}

/**
 * The error ratio (0..1) over a window ending at the evaluation time. timeslices: the share of
 * bad slices among slices that have a value (slices without one are not counted at all).
 */
export function errorRatioQuery(sli: Sli, windowMs: number): string {
  switch (sli.kind) {
    case 'errorRatio': {
      const { errors, total } = eventCountQueries(sli, windowMs);
      return `(${errors}) / ${wrap(total)}`;
    }
    case 'ratio':
      return wrap(withRange(sli.query, windowMs));
    case 'timeslices': {
      const sub = `[${toPromDuration(windowMs)}:${toPromDuration(sli.sliceMs)}]`;
      return `(count_over_time(${badSliceFilter(sli)}${sub}) or vector(0)) / count_over_time(${valuedSliceFilter(sli)}${sub})`;
    }
  }
}

/** The slice query with only its bad points kept (NaN compares false, so it is never bad). */
export function badSliceFilter(sli: Extract<Sli, { kind: 'timeslices' }>): string {
  const q = wrap(withRange(sli.query, sli.sliceMs));
  const parts: string[] = [];
  if (sli.max !== undefined) parts.push(`${q} > ${sli.max}`);
  if (sli.min !== undefined) parts.push(`${q} < ${sli.min}`);
  return `(${parts.join(' or ')})`;
}

/** The slice query where it has a value (NaN filtered out): the denominator of bad slices. */
function valuedSliceFilter(sli: Extract<Sli, { kind: 'timeslices' }>): string {
  return `(${wrap(withRange(sli.query, sli.sliceMs))} <= +Inf)`;
}

/** The slice query itself, for the range query at the slice step that counts good and bad slices. */
export function sliceValueQuery(sli: Extract<Sli, { kind: 'timeslices' }>): string {
  return withRange(sli.query, sli.sliceMs);
}

/** Events over a window (the low-traffic guard); only errorRatio SLIs count events. */
export function eventTotalQuery(sli: Sli, windowMs: number): string | undefined {
  return sli.kind === 'errorRatio' ? withRange(sli.total, windowMs) : undefined;
}

/**
 * The points at which a multi-window burn-rate alert would fire (range query; only those come
 * back, so a month of a quiet service costs a few bytes): both windows' error ratios above
 * factor × budget, and — with minEvents — at least that many events in the long window. NaN (no
 * traffic) compares false, so it never fires.
 */
export function alertFiringQuery(sli: Sli, alert: { longWindowMs: number; shortWindowMs: number }, threshold: number, minEvents?: number): string {
  const long = `(${errorRatioQuery(sli, alert.longWindowMs)}) > ${threshold}`;
  const short = `(${errorRatioQuery(sli, alert.shortWindowMs)}) > ${threshold}`;
  const events = minEvents !== undefined ? eventTotalQuery(sli, alert.longWindowMs) : undefined;
  const guard = events !== undefined ? ` and (${wrap(events)} >= ${minEvents})` : '';
  return `(${long}) and (${short})${guard}`;
}

/**
 * A rule's breaching points with their value (range query): `Q > max`, `Q < min`, or relative to
 * the same query `offset` (`Q > (1 + maxIncrease) × Q offset`). The offset goes on a subquery,
 * because PromQL allows `offset` on selectors and subqueries only.
 */
export function ruleBreachQuery(rule: SlaRule, stepMs: number): string {
  const q = wrap(rule.query);
  const parts: string[] = [];
  if (rule.max !== undefined) parts.push(`${q} > ${rule.max}`);
  if (rule.min !== undefined) parts.push(`${q} < ${rule.min}`);
  if (rule.maxIncrease !== undefined || rule.maxDecrease !== undefined) {
    const earlier = `last_over_time(${q}[${toPromDuration(stepMs)}:${toPromDuration(stepMs)}] offset ${toPromDuration(rule.offsetMs ?? 86_400_000)})`;
    if (rule.maxIncrease !== undefined) parts.push(`${q} > ${1 + rule.maxIncrease} * ${earlier}`);
    if (rule.maxDecrease !== undefined) parts.push(`${q} < ${1 - rule.maxDecrease} * ${earlier}`);
  }
  return parts.length === 1 ? parts[0]! : parts.map((p) => `(${p})`).join(' or ');
}

/** Whether the rule's query has data at all over the period (one number). */
export function ruleCoverageQuery(rule: SlaRule, periodMs: number, stepMs: number): string {
  return `count_over_time(${wrap(rule.query)}[${toPromDuration(periodMs)}:${toPromDuration(stepMs)}])`;
}
