/**
 * One simulated rollout, judged exactly as `rollout run` judges a live one: the same gate
 * evaluation (gates/evaluate.ts), the same limit counting (analysis/limits.ts), the same run-time
 * placeholders (gates/runtime-vars.ts) and `for` window step (gates/measure.ts), the same
 * decisions as the bake loop (rollout/bake.ts) — only the data comes from the SeriesStore
 * instead of a live query, and nothing waits.
 *
 * Outcomes: `promoted` (every step passed); `rolled_back` (a critical gate failed beyond
 * failureLimit, or inconclusive beyond inconclusiveLimit with onInconclusive: rollback);
 * `paused` (inconclusive with onInconclusive: pause, or a failure with rollback.auto off: a person
 * would have been asked); `no_data` (what stopped it was missing data: a gap in the stored series,
 * an empty baseline or sample count). Planned approvals count as granted.
 */
import { LimitCounter } from '../analysis/limits.js';
import { evaluateGate, type GateData } from '../gates/evaluate.js';
import { windowStepMs } from '../gates/measure.js';
import { withRuntimeVars } from '../gates/runtime-vars.js';
import type { Measurement } from '../gates/types.js';
import type { GateSpec, ResolvedPlan, StepSpec } from '../plan/types.js';
import type { Sample } from '../prometheus/types.js';
import type { StepRounds } from './schedule.js';
import type { SeriesStore } from './series-store.js';

export type Outcome = 'promoted' | 'rolled_back' | 'paused' | 'no_data';

/** A gate measurement that failed during a simulated rollout (warning gates included). */
export interface FailedMeasurement {
  gate: string;
  step: number;
  at: string;
  value: number | null;
  severity: GateSpec['severity'];
}

export interface SimulatedRun {
  /** RFC 3339 start of the simulated rollout. */
  start: string;
  /** When it ended: promoted after the last bake, or when it was stopped. */
  end: string;
  outcome: Outcome;
  /** 0-based index of the step it ended in (the last step when promoted). */
  step: number;
  weight: number;
  /** When the deciding measurement was taken (= end). */
  at: string;
  /** The gate that decided a rollback, pause or no_data; null when promoted. */
  gate: string | null;
  /** That gate's deciding value (null when it had none). */
  value: number | null;
  reason: string;
  /** How many gate measurements it took. */
  measurements: number;
  failures: FailedMeasurement[];
}

/** The gates of a step with their run-time placeholders filled, as the bake fills them. */
export function gatesOfStep(plan: ResolvedPlan, step: StepSpec): GateSpec[] {
  const runtime = { rangeMs: plan.analysis.intervalMs, weight: step.weight, step: step.index };
  return plan.gates.filter((g) => step.gates.includes(g.name)).map((g) => withRuntimeVars(g, runtime));
}

/** Registers in the store every value the simulated rollout starting at `startMs` may read. */
export function registerNeeds(store: SeriesStore, plan: ResolvedPlan, schedule: StepRounds[], startMs: number): void {
  const intervalMs = plan.analysis.intervalMs;
  for (const rounds of schedule) {
    const gates = gatesOfStep(plan, plan.steps[rounds.step]!);
    for (const offset of rounds.roundsMs) {
      const t = startMs + offset;
      for (const gate of gates) {
        if (gate.forMs !== undefined) store.needWindow(gate.query, t, gate.forMs, windowStepMs(gate));
        else store.need(gate.query, t, intervalMs);
        if (gate.baseline !== undefined) store.need(gate.baseline, t, intervalMs);
        if (gate.minSamples) store.need(gate.minSamples.query, t, intervalMs);
      }
    }
  }
}

function gateData(store: SeriesStore, gate: GateSpec, t: number): GateData {
  const data: GateData = { at: new Date(t) };
  if (gate.forMs !== undefined) {
    const stepMs = windowStepMs(gate);
    data.range = { series: store.windowAt(gate.query, t, gate.forMs, stepMs), start: new Date(t - gate.forMs), end: new Date(t), stepMs };
  } else {
    data.samples = store.samplesAt(gate.query, t);
  }
  if (gate.baseline !== undefined) data.baseline = store.samplesAt(gate.baseline, t);
  if (gate.minSamples) data.minSamples = store.samplesAt(gate.minSamples.query, t);
  return data;
}

const empty = (samples: Sample[] | undefined): boolean => samples !== undefined && samples.every((s) => Number.isNaN(s.value));

/** True when what the gate read had a hole: no value (or NaN) for its query, baseline or sample count. */
function dataMissing(data: GateData): boolean {
  const main = data.range ? data.range.series.every((s) => s.points.every(([, v]) => Number.isNaN(v))) : empty(data.samples);
  return main || empty(data.baseline) || empty(data.minSamples);
}

/** Simulates the rollout starting at `startMs` over stored data. Pure given the store. */
export function simulateRun(plan: ResolvedPlan, schedule: StepRounds[], store: SeriesStore, startMs: number, observe?: (measurement: Measurement) => void): SimulatedRun {
  const { analysis } = plan;
  let measurements = 0;
  const failures: FailedMeasurement[] = [];
  const iso = (t: number): string => new Date(t).toISOString();
  const ended = (outcome: Outcome, step: StepSpec, t: number, gate: string | null, value: number | null, reason: string): SimulatedRun => ({
    start: iso(startMs),
    end: iso(t),
    outcome,
    step: step.index,
    weight: step.weight,
    at: iso(t),
    gate,
    value,
    reason,
    measurements,
    failures,
  });
  const stopWith = (kind: 'rollback' | 'pause', missing: boolean): Outcome => (missing ? 'no_data' : kind === 'rollback' ? 'rolled_back' : 'paused');
  const noDataReason = (reason: string, kind: 'rollback' | 'pause'): string => `no data: ${reason}; rollout run would have ${kind === 'rollback' ? 'rolled back' : 'paused'} on the gap`;

  for (const rounds of schedule) {
    const step = plan.steps[rounds.step]!;
    const gates = gatesOfStep(plan, step);
    const counter = new LimitCounter(analysis);
    const severityOf = (name: string): 'critical' | 'warning' => gates.find((g) => g.name === name)?.severity ?? 'critical';
    const missingRounds = new Map<string, number>();
    const lastMissing = new Map<string, boolean>();

    for (const offset of rounds.roundsMs) {
      const t = startMs + offset;
      const round = gates.map((gate) => {
        const data = gateData(store, gate, t);
        const missing = dataMissing(data);
        lastMissing.set(gate.name, missing);
        if (missing) missingRounds.set(gate.name, (missingRounds.get(gate.name) ?? 0) + 1);
        return evaluateGate(gate, data);
      });
      measurements += round.length;
      if (observe) for (const m of round) observe(m);
      for (const m of round) if (m.verdict === 'fail') failures.push({ gate: m.gate, step: step.index, at: m.at, value: m.value, severity: m.severity });
      const decision = counter.record(round);
      const decidingValue = (gate: string): number | null => round.find((m) => m.gate === gate)?.value ?? null;

      if (decision.kind === 'fail') {
        if (plan.rollback.auto) return ended('rolled_back', step, t, decision.gate, decidingValue(decision.gate), decision.reason);
        return ended('paused', step, t, decision.gate, decidingValue(decision.gate), `${decision.reason}; rollback.auto is off, a person would have been asked`);
      }
      if (decision.kind === 'inconclusive') {
        const missing = lastMissing.get(decision.gate) === true;
        if (analysis.onInconclusive === 'continue') counter.forgetInconclusive(decision.gate);
        else {
          const kind = analysis.onInconclusive === 'rollback' ? 'rollback' : 'pause';
          return ended(stopWith(kind, missing), step, t, decision.gate, decidingValue(decision.gate), missing ? noDataReason(decision.reason, kind) : decision.reason);
        }
      }
      // decision.kind === 'error' cannot happen: a provider error while fetching ends the whole backtest.
    }

    // Never a false pass: a critical gate that never passed in the step is inconclusive (as the bake decides).
    const silent = counter.neverPassed(gates.map((g) => g.name), severityOf);
    if (silent.length > 0 && analysis.onInconclusive !== 'continue') {
      const t = startMs + rounds.roundsMs.at(-1)!;
      const reason = `gate${silent.length > 1 ? 's' : ''} ${silent.join(', ')} never passed during the bake`;
      const kind = analysis.onInconclusive === 'rollback' ? 'rollback' : 'pause';
      const missing = silent.some((name) => (missingRounds.get(name) ?? 0) === rounds.roundsMs.length);
      return ended(stopWith(kind, missing), step, t, silent[0]!, null, missing ? noDataReason(reason, kind) : reason);
    }
  }
  const last = plan.steps.at(-1)!;
  const endMs = startMs + (schedule.at(-1)?.roundsMs.at(-1) ?? 0);
  return ended('promoted', last, endMs, null, null, `all ${plan.steps.length} step${plan.steps.length === 1 ? '' : 's'} passed`);
}
