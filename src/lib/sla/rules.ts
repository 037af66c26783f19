/**
 * Prometheus rules for an SLA policy, built as plain data from the SLO model (serialised at the
 * edge, in rules-yaml.ts). Per SLO, three groups:
 * - `-sli`: the error ratio over every burn-rate window (5m … 3d), with the audit's own
 *   expressions (audit-queries.ts), so an alert fires where the audit says it would have;
 * - `-meta`: the period's event-weighted error ratio, objective, budget, budget remaining;
 * - `-alerts`: the workbook's multi-window multi-burn-rate page and ticket alerts.
 * Policy `rules` (sustained breaches) become one more group of plain threshold alerts with `for`.
 */
import { formatDuration } from '../duration.js';
import { badSliceFilter, errorRatioQuery, eventTotalQuery, ruleBreachQuery, withRange } from './audit-queries.js';
import { BURN_RATE_WINDOWS_MS, burnAlertWindows, nominalPeriodMs, promWindow, type BurnAlertWindow, type BurnSeverity } from './burn-windows.js';
import type { SlaPolicyModel, SlaRule, Slo } from './model.js';

export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}

export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export type Rule = RecordingRule | AlertingRule;

export interface RuleGroup {
  name: string;
  rules: Rule[];
}

/** Names of the recorded series, for dashboards and for people reading the rules. */
export const SERIES = {
  errorRatio: (windowMs: number) => `rollgate:slo_error_ratio:rate${promWindow(windowMs)}`,
  events: (windowMs: number) => `rollgate:slo_events:total${promWindow(windowMs)}`,
  sliceBad: 'rollgate:slo_slice_bad:ratio',
  periodErrorRatio: 'rollgate:slo_error_ratio:period',
  objective: 'rollgate:slo_objective:ratio',
  errorBudget: 'rollgate:slo_error_budget:ratio',
  period: 'rollgate:slo_period:seconds',
  budgetRemaining: 'rollgate:slo_error_budget_remaining:ratio',
} as const;

/** Rounds away binary floating-point noise: (100 - 99.9) / 100 is 0.0009999999999999432. */
function tidy(value: number): number {
  return Number(value.toPrecision(12));
}

/** The error budget as a ratio: 99.9 → 0.001. */
export function errorBudgetRatio(objectivePercent: number): number {
  return tidy((100 - objectivePercent) / 100);
}

/** A Prometheus string literal (label values in selectors). */
function quote(value: string): string {
  return JSON.stringify(value);
}

function selector(labels: Record<string, string>): string {
  return `{${Object.entries(labels)
    .map(([name, value]) => `${name}=${quote(value)}`)
    .join(', ')}}`;
}

/** `checkout` + `availability` → `CheckoutAvailability`: a valid alert name from free text. */
function pascal(...words: string[]): string {
  const joined = words
    .join(' ')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('');
  return /^[A-Za-z_]/.test(joined) ? joined : `SLO${joined}`;
}

/** Group names must be unique within a file; `-` between the parts as Sloth does. */
function groupName(service: string, slo: string, part: string): string {
  return `rollgate-${service}-${slo}-${part}`;
}

/** What the budget is a share of, per kind of SLI. */
const BUDGET_UNIT: Record<Slo['sli']['kind'], string> = { errorRatio: 'of events', timeslices: 'of slices', ratio: 'of the time' };

const percent = (ratio: number): string => `${Number((ratio * 100).toPrecision(6))}%`;

/**
 * The error ratio over a window as recorded. timeslices are the share of bad evaluations of the
 * per-slice indicator (recorded once per evaluation, so a month-long window costs no subquery).
 */
function windowErrorRatio(slo: Slo, windowMs: number, ids: Record<string, string>): string {
  if (slo.sli.kind === 'timeslices') return `avg_over_time(${SERIES.sliceBad}${selector(ids)}[${promWindow(windowMs)}])`;
  return errorRatioQuery(slo.sli, windowMs);
}

function sliGroup(policy: SlaPolicyModel, slo: Slo, ids: Record<string, string>, labels: Record<string, string>): RuleGroup {
  const rules: Rule[] = [];
  if (slo.sli.kind === 'timeslices') {
    // 1 where the slice ending now is bad, 0 where it is good; no sample where the query has none
    // (NaN or absent), so slices without data count neither way, as in the audit.
    const value = `(${withRange(slo.sli.query, slo.sli.sliceMs).trim()})`;
    rules.push({ record: SERIES.sliceBad, expr: `(${badSliceFilter(slo.sli)} * 0 + 1) or ((${value} <= +Inf) * 0)`, labels });
  }
  for (const windowMs of BURN_RATE_WINDOWS_MS) {
    rules.push({ record: SERIES.errorRatio(windowMs), expr: windowErrorRatio(slo, windowMs, ids), labels });
  }
  if (slo.minEvents !== undefined) {
    for (const windowMs of BURN_RATE_WINDOWS_MS) {
      const events = eventTotalQuery(slo.sli, windowMs);
      if (events) rules.push({ record: SERIES.events(windowMs), expr: events, labels });
    }
  }
  return { name: groupName(policy.service, slo.name, 'sli'), rules };
}

function metaGroup(policy: SlaPolicyModel, slo: Slo, ids: Record<string, string>, labels: Record<string, string>): RuleGroup {
  const periodMs = nominalPeriodMs(slo.window);
  const budget = errorBudgetRatio(slo.objective);
  // errorRatio: events over the whole period / all events (event-weighted, not an average of 5m ratios).
  const periodRatio = slo.sli.kind === 'timeslices' ? windowErrorRatio(slo, periodMs, ids) : errorRatioQuery(slo.sli, periodMs);
  return {
    name: groupName(policy.service, slo.name, 'meta'),
    rules: [
      { record: SERIES.periodErrorRatio, expr: periodRatio, labels: { ...labels, period: promWindow(periodMs) } },
      { record: SERIES.objective, expr: `vector(${tidy(slo.objective / 100)})`, labels },
      { record: SERIES.errorBudget, expr: `vector(${budget})`, labels },
      { record: SERIES.period, expr: `vector(${periodMs / 1_000})`, labels },
      { record: SERIES.budgetRemaining, expr: `1 - (${SERIES.periodErrorRatio}${selector(ids)} / ${budget})`, labels },
    ],
  };
}

/** One window pair of an alert: both windows burn faster than factor × budget (and carry enough events). */
function pairCondition(slo: Slo, row: BurnAlertWindow, ids: Record<string, string>, budget: number): string {
  const threshold = `(${row.factor} * ${budget})`;
  const side = (windowMs: number): string => {
    const ratio = `${SERIES.errorRatio(windowMs)}${selector(ids)} > ${threshold}`;
    return slo.minEvents !== undefined && slo.sli.kind === 'errorRatio' ? `(${ratio} and ${SERIES.events(windowMs)}${selector(ids)} >= ${slo.minEvents})` : ratio;
  };
  return `(\n    ${side(row.longWindowMs)}\n  and\n    ${side(row.shortWindowMs)}\n)`;
}

function alertFor(policy: SlaPolicyModel, slo: Slo, severity: BurnSeverity, rows: BurnAlertWindow[], ids: Record<string, string>): AlertingRule {
  const periodMs = nominalPeriodMs(slo.window);
  const budget = errorBudgetRatio(slo.objective);
  const target = slo.alerting[severity];
  const period = formatDuration(periodMs);
  const windows = rows.map((row) => `${row.factor}× over ${promWindow(row.longWindowMs)} and ${promWindow(row.shortWindowMs)}`).join(', or ');
  const consumed = rows.map((row) => `${percent(row.budgetConsumed)} in ${promWindow(row.longWindowMs)}`).join(', or ');
  const runbook = target.annotations.runbook_url ?? slo.alerting.annotations.runbook_url ?? slo.alerting.runbookUrl;
  return {
    alert: slo.alerting.name ?? pascal(policy.service, slo.name, 'ErrorBudgetBurn'),
    expr: `${rows.map((row) => pairCondition(slo, row, ids, budget)).join('\nor\n')}\n`,
    labels: { severity, ...slo.alerting.labels, ...target.labels },
    annotations: {
      summary: `${policy.service} ${slo.name}: the ${period} error budget of the ${slo.objective}% objective is burning too fast (${severity})`,
      description: `Error ratio above the burn rate of ${windows}, the budget being ${percent(budget)} ${BUDGET_UNIT[slo.sli.kind]}. At that rate the SLO misses its objective before the ${period} period ends.`,
      budget_consumed: `${consumed} of the ${period} error budget`,
      ...(runbook ? { runbook_url: runbook } : {}),
      ...slo.alerting.annotations,
      ...target.annotations,
    },
  };
}

function alertGroup(policy: SlaPolicyModel, slo: Slo, ids: Record<string, string>): RuleGroup | undefined {
  const rows = burnAlertWindows(nominalPeriodMs(slo.window));
  const rules: AlertingRule[] = [];
  for (const severity of ['page', 'ticket'] as const) {
    if (slo.alerting[severity].disable) continue;
    rules.push(alertFor(policy, slo, severity, rows.filter((row) => row.severity === severity), ids));
  }
  return rules.length > 0 ? { name: groupName(policy.service, slo.name, 'alerts'), rules } : undefined;
}

function thresholdWords(rule: SlaRule): string {
  const parts: string[] = [];
  if (rule.max !== undefined) parts.push(`above ${rule.max}`);
  if (rule.min !== undefined) parts.push(`below ${rule.min}`);
  const offset = promWindow(rule.offsetMs ?? 86_400_000);
  if (rule.maxIncrease !== undefined) parts.push(`more than ${percent(rule.maxIncrease)} above its value ${offset} earlier`);
  if (rule.maxDecrease !== undefined) parts.push(`more than ${percent(rule.maxDecrease)} below its value ${offset} earlier`);
  return parts.join(' or ');
}

/** A policy's sustained-breach rules as alerts: breached for longer than `for`. */
function slaRuleGroup(policy: SlaPolicyModel): RuleGroup | undefined {
  if (policy.rules.length === 0) return undefined;
  return {
    name: `rollgate-${policy.service}-rules`,
    rules: policy.rules.map((rule) => ({
      alert: pascal(policy.service, rule.name),
      // The audit's own breach expression; one evaluation step (1m) for the relative comparison.
      expr: ruleBreachQuery(rule, 60_000),
      ...(rule.forMs > 0 ? { for: promWindow(rule.forMs) } : {}),
      labels: { severity: rule.severity, service: policy.service, rollgate_rule: rule.name },
      annotations: {
        summary: `${policy.service} ${rule.name}: ${thresholdWords(rule)}${rule.forMs > 0 ? ` for more than ${formatDuration(rule.forMs)}` : ''}`,
      },
    })),
  };
}

/** Every rule group of a policy, in the order of its SLOs; pure. */
export function buildRuleGroups(policy: SlaPolicyModel): RuleGroup[] {
  const groups: RuleGroup[] = [];
  for (const slo of policy.slos) {
    const ids = { service: policy.service, slo: slo.name };
    // The SLO's own labels first, so `service` and `slo` always identify the series.
    const labels = { ...slo.labels, ...ids };
    groups.push(sliGroup(policy, slo, ids, labels), metaGroup(policy, slo, ids, labels));
    const alerts = alertGroup(policy, slo, ids);
    if (alerts) groups.push(alerts);
  }
  const rules = slaRuleGroup(policy);
  if (rules) groups.push(rules);
  return groups;
}
