/**
 * What `plan show` tells about a resolved plan beyond its fields: how long a rollout takes at
 * least, and how long a breach can go unnoticed per gate.
 */
import { renderTemplate } from '../template.js';
import { RUNTIME_PLACEHOLDER_SAMPLES, longestRangeMs } from './promql.js';
import { toPromDuration } from '../duration.js';
import type { GateSpec, ResolvedPlan } from './types.js';

export interface GateDetection {
  gate: string;
  severity: GateSpec['severity'];
  /** Human form of the threshold: `<= 0.01`, `>= 0.9 and <= 1`, `baseline +10%`. */
  threshold: string;
  intervalMs: number;
  forMs: number;
  /** The longest range selector (`[1m]`) or subquery range of the gate's query. */
  rangeMs: number;
  /** intervalMs × (failureLimit + 1) + forMs + rangeMs: see worstCaseDetectionMs. */
  worstCaseMs: number;
  /** Steps (0-based) whose bake checks this gate. */
  steps: number[];
}

export interface PlanSummary {
  steps: Array<{ index: number; weight: number; bakeMs: number; approval: boolean; gates: string[] }>;
  /** Sum of the bakes: the shortest possible rollout (no approval wait, no retries). */
  minimumDurationMs: number;
  /** Steps that wait for a person after their bake. */
  approvals: number;
  detection: GateDetection[];
}

function limitText(prefix: string, limit: NonNullable<GateSpec['maxIncrease']>): string {
  return limit.kind === 'relative' ? `${prefix}${Math.round(limit.value * 10_000) / 100}%` : `${prefix}${limit.value}`;
}

/** The threshold in words a person reads at a glance. */
export function thresholdText(gate: GateSpec): string {
  const parts: string[] = [];
  if (gate.min !== undefined) parts.push(`>= ${gate.min}`);
  if (gate.max !== undefined) parts.push(`<= ${gate.max}`);
  if (gate.maxIncrease) parts.push(limitText('<= baseline +', gate.maxIncrease));
  if (gate.maxDecrease) parts.push(limitText('>= baseline -', gate.maxDecrease));
  return parts.join(' and ');
}

/**
 * Worst-case time from the start of a breach to the gate failing:
 *
 *   analysis interval × (failureLimit + 1) + gate `for` + longest range selector of the query
 *
 * - the interval: the breach may begin just after a measurement, so it is seen one interval later;
 * - failureLimit: a gate fails the step only after failureLimit + 1 failing measurements, one
 *   interval apart;
 * - `for`: a sustained gate fails only once every point of its window is in breach;
 * - the range: `rate(x[1m])` averages over a minute, so a sudden breach needs up to the whole
 *   window to move the value across the threshold (a full step change, the worst case for a mean).
 * `{{range}}` in a query counts as the analysis interval. Prometheus' scrape interval and the
 * time to apply the rollback come on top; they are not part of the plan.
 */
export function worstCaseDetectionMs(gate: GateSpec, intervalMs: number, failureLimit = 0): { rangeMs: number; forMs: number; worstCaseMs: number } {
  const query = renderTemplate(gate.query, { ...RUNTIME_PLACEHOLDER_SAMPLES, range: toPromDuration(intervalMs) });
  const rangeMs = longestRangeMs(query);
  const forMs = gate.forMs ?? 0;
  return { rangeMs, forMs, worstCaseMs: intervalMs * (failureLimit + 1) + forMs + rangeMs };
}

/** The summary `plan show` prints (and `--json` returns under `summary`). */
export function summarizePlan(plan: ResolvedPlan): PlanSummary {
  const intervalMs = plan.analysis.intervalMs;
  return {
    steps: plan.steps.map((step) => ({ index: step.index, weight: step.weight, bakeMs: step.bakeMs, approval: step.approval, gates: [...step.gates] })),
    minimumDurationMs: plan.steps.reduce((total, step) => total + step.bakeMs, 0),
    approvals: plan.steps.filter((step) => step.approval).length,
    detection: plan.gates.map((gate) => ({
      gate: gate.name,
      severity: gate.severity,
      threshold: thresholdText(gate),
      intervalMs,
      ...worstCaseDetectionMs(gate, intervalMs, plan.analysis.failureLimit),
      steps: plan.steps.filter((step) => step.gates.includes(gate.name)).map((step) => step.index),
    })),
  };
}
