/**
 * One step's bake: measure the step's gates every `analysis.interval` until `bake` has elapsed,
 * counting against the plan's limits. Time spent holding on provider errors does not count as
 * baking: a canary is only called healthy on measurements that were actually taken.
 */
import { measureGates } from '../gates/measure.js';
import { withRuntimeVars } from '../gates/runtime-vars.js';
import type { Measurement } from '../gates/types.js';
import { formatDuration } from '../duration.js';
import type { GateSpec, StepSpec } from '../plan/types.js';
import { awaitApproval } from './approval.js';
import { NoVerdict, RollbackRequired } from './control.js';
import { EventType } from './events.js';
import { recordedFailure, stepLimits } from './reduce.js';
import { record, type RolloutRuntime } from './runtime.js';
import { sleep } from '../sleep.js';

/** The named gates of the plan, with their run-time placeholders filled ({{range}} = the analysis interval). */
export function gatesNamed(rt: RolloutRuntime, names: readonly string[], runtime: { weight: number; step?: number }): GateSpec[] {
  const filled = { rangeMs: rt.plan.analysis.intervalMs, ...runtime };
  return rt.plan.gates.filter((g) => names.includes(g.name)).map((g) => withRuntimeVars(g, filled));
}

export function gatesOfStep(rt: RolloutRuntime, step: StepSpec): GateSpec[] {
  return gatesNamed(rt, step.gates, { weight: step.weight, step: step.index });
}

/** Records each measurement as its own event: the exact query, raw value, threshold and verdict. */
export async function recordMeasurements(rt: RolloutRuntime, measurements: Measurement[], context: Record<string, unknown>): Promise<void> {
  for (const m of measurements) await record(rt, EventType.measurement, { ...context, ...m });
}

export async function bakeStep(rt: RolloutRuntime, step: StepSpec): Promise<void> {
  const { analysis } = rt.plan;
  const gates = gatesOfStep(rt, step);
  // The step's counters live in the log's view, fed by every recorded measurement: a bake resumed
  // after a crash goes on counting from what the log holds, and a failure is never forgotten.
  const counter = () => stepLimits(rt.log.view, step.index).counter;
  const severityOf = (name: string): 'critical' | 'warning' => gates.find((g) => g.name === name)?.severity ?? 'critical';
  const signal = rt.stop.signal;
  const done = (extra: Record<string, unknown>) => record(rt, EventType.bakeCompleted, { step: step.index, weight: step.weight, rounds: round, bakedMs, ...extra });

  let bakedMs = 0;
  let holdingSince: number | undefined;
  let round = 0;
  const failedBefore = recordedFailure(rt.log.view, step.index);
  if (failedBefore) {
    if (rt.plan.rollback.auto) throw new RollbackRequired('gate', failedBefore);
    await awaitApproval(rt, step.index, step.weight, `${failedBefore}; rollback.auto is off`);
    if (!signal.aborted) await done({ decidedByApproval: true });
    return;
  }
  // Bake 0 still measures once: a step is never passed without looking.
  while (!signal.aborted) {
    const roundStart = Date.now();
    // The first round of a bake-0 step measures at once; any later round waits (never a busy loop).
    const waitMs =
      holdingSince !== undefined ? holdBackoff(analysis.intervalMs, Date.now() - holdingSince)
      : step.bakeMs === 0 ? (round === 0 ? 0 : analysis.intervalMs)
      : Math.min(analysis.intervalMs, Math.max(0, step.bakeMs - bakedMs));
    await sleep(waitMs, signal);
    if (signal.aborted) return;
    round += 1;

    const measurements = await measureGates(rt.prometheus, gates, { signal });
    if (signal.aborted) return;
    await recordMeasurements(rt, measurements, { step: step.index, weight: step.weight, round, phase: 'bake' });
    const decision = counter().decide(measurements);

    if (decision.kind === 'error') {
      if (analysis.onError === 'rollback') throw new RollbackRequired('provider-error', decision.reason);
      if (holdingSince === undefined) {
        holdingSince = roundStart;
        await record(rt, EventType.analysisHold, { step: step.index, weight: step.weight, holding: true, reason: decision.reason, errorTimeoutMs: analysis.errorTimeoutMs });
      }
      if (Date.now() - holdingSince >= analysis.errorTimeoutMs) {
        throw new NoVerdict(`no verdict for ${formatDuration(Date.now() - holdingSince)} (errorTimeout ${formatDuration(analysis.errorTimeoutMs)}): ${decision.reason}; traffic held at ${step.weight}%`);
      }
      continue;
    }
    if (holdingSince !== undefined) {
      holdingSince = undefined;
      // Recording the end of the hold resets the consecutive-error counts (in the view, from the log).
      await record(rt, EventType.analysisHold, { step: step.index, weight: step.weight, holding: false, reason: 'measurements are answered again' });
    }

    if (decision.kind === 'fail') {
      if (rt.plan.rollback.auto) throw new RollbackRequired('gate', decision.reason);
      // Without automatic rollback a person decides, as Argo does with a paused analysis; going on ends the bake.
      await awaitApproval(rt, step.index, step.weight, `${decision.reason}; rollback.auto is off`);
      if (!signal.aborted) await done({ decidedByApproval: true });
      return;
    }
    if (decision.kind === 'inconclusive') {
      if (await onInconclusive(rt, step, decision.reason)) {
        if (!signal.aborted) await done({ decidedByApproval: true });
        return;
      }
      counter().forgetInconclusive(decision.gate);
      if (signal.aborted) return;
    }

    // A round in which a critical gate got no answer is not baking time: only answered rounds count.
    const unanswered = measurements.some((m) => m.verdict === 'error' && m.severity !== 'warning');
    if (!unanswered) bakedMs += Date.now() - roundStart;
    if (bakedMs >= step.bakeMs && !unanswered) break;
  }
  if (signal.aborted) return;

  // Never a false pass: a critical gate that produced no passing measurement in the whole step is inconclusive.
  const silent = counter().neverPassed(gates.map((g) => g.name), severityOf);
  if (silent.length > 0) {
    const reason = `gate${silent.length > 1 ? 's' : ''} ${silent.join(', ')} never passed during the bake`;
    if (await onInconclusive(rt, step, reason)) {
      if (!signal.aborted) await done({ decidedByApproval: true });
      return;
    }
    if (signal.aborted) return;
    // onInconclusive: continue — the plan says so explicitly; the evidence says what was not verified.
    await done({ unverified: silent });
    return;
  }
  await done({});
}

/** Applies onInconclusive; true when a person was asked and decided to go on (which ends the bake). */
async function onInconclusive(rt: RolloutRuntime, step: StepSpec, reason: string): Promise<boolean> {
  switch (rt.plan.analysis.onInconclusive) {
    case 'rollback':
      throw new RollbackRequired('inconclusive', reason);
    case 'pause':
      await awaitApproval(rt, step.index, step.weight, `inconclusive: ${reason}`);
      return true;
    case 'continue':
      return false;
  }
}

/** While holding on errors: retry at the interval, backing off to at most 4 intervals (and 60 s). */
function holdBackoff(intervalMs: number, heldMs: number): number {
  const factor = heldMs < intervalMs * 4 ? 1 : heldMs < intervalMs * 16 ? 2 : 4;
  return Math.min(intervalMs * factor, Math.max(intervalMs, 60_000));
}
