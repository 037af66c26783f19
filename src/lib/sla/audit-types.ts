/** What an SLA audit produces: the JSON contract of `sla audit` (product.md) plus what evidence needs. */
import type { ErrorBudget } from './budget.js';

export type SloStatus = 'compliant' | 'violated' | 'insufficient_data';
export type AuditVerdict = SloStatus;

/** One query as sent and what came back, compacted for evidence (never a month of points). */
export interface QueryRecord {
  purpose: string;
  type: 'instant' | 'range';
  query: string;
  /** instant: evaluation time; range: start/end/step. RFC 3339, step in seconds. */
  at?: string;
  start?: string;
  end?: string;
  stepSeconds?: number;
  /** instant: the value(s) by series; NaN travels as "NaN". */
  values?: Array<number | string>;
  /** range: how many series and points came back. */
  series?: number;
  points?: number;
  warnings?: string[];
  ms: number;
}

export interface IntervalOut {
  start: string;
  end: string;
}

export interface AlertResult {
  severity: 'page' | 'ticket';
  longWindow: string;
  shortWindow: string;
  factor: number;
  /** factor × (1 - objective): the error ratio both windows must exceed. */
  threshold: number;
  firing: boolean | null;
  intervals: IntervalOut[];
  /** Evaluation step of the range queries: interval edges are exact to one step. */
  stepSeconds: number;
}

export interface BurnRateResult {
  window: string;
  /** null when Prometheus had no number (no traffic in the window). */
  rate: number | null;
}

export interface SloResult {
  name: string;
  sliKind: 'errorRatio' | 'ratio' | 'timeslices';
  objective: number;
  from: string;
  to: string;
  period: string;
  /** Achieved SLI (0..1); null when there was not enough data. */
  sli: number | null;
  compliant: boolean | null;
  status: SloStatus;
  /** Why the status is what it is, when it is not a plain comparison (low traffic, no data, partial answers). */
  reasons: string[];
  lowTraffic: boolean;
  excluded: Array<{ from: string; to: string; reason: string }>;
  includedSeconds: number;
  /** errorRatio: events counted; timeslices: good/bad/unvalued slices; ratio: points averaged and expected. */
  counts: Record<string, number>;
  errorBudget: ErrorBudget | null;
  burnRates: BurnRateResult[];
  alerts: AlertResult[];
  /** Remaining budget (ratio) over the period, at most ~200 points: [unix seconds, remaining]. For the HTML chart. */
  budgetCurve: Array<[number, number]>;
  queries: QueryRecord[];
}

export interface RuleViolation {
  start: string;
  end: string;
  durationSeconds: number;
  peak: number;
}

export interface RuleResult {
  name: string;
  severity: 'critical' | 'warning';
  condition: string;
  for: string;
  violated: boolean;
  /** Not enough data to judge the rule (no data at all, or a partial answer). */
  insufficient: boolean;
  reasons: string[];
  violations: RuleViolation[];
  stepSeconds: number;
  queries: QueryRecord[];
}

export interface AuditResult {
  verdict: AuditVerdict;
  from: string;
  to: string;
  slos: SloResult[];
  rules: RuleResult[];
  /** Total queries sent and their summed time, for people and the benchmark. */
  queryCount: number;
}
