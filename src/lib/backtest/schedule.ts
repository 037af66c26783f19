/**
 * When a simulated rollout measures: the same rounds `rollout run` takes in each step's bake
 * (src/lib/rollout/bake.ts), with actions and approvals taking no time.
 *
 * - a step's rounds are one analysis interval apart; the last one waits only what is left of the
 *   bake (bake 45s at a 30s interval: rounds at +30s and +45s);
 * - a bake of 0 still measures once, at the start of the step: a step is never passed unseen;
 * - the next step starts when the bake ends; planned approvals count as granted at once.
 */
import type { ResolvedPlan } from '../plan/types.js';

export interface StepRounds {
  step: number;
  /** Offset of the step's start from the rollout's start (ms). */
  startMs: number;
  /** Offsets of its measurements from the rollout's start (ms), in order. */
  roundsMs: number[];
}

/** The rounds of every step of the plan, as offsets from the rollout's start. */
export function roundSchedule(plan: Pick<ResolvedPlan, 'steps' | 'analysis'>): StepRounds[] {
  const intervalMs = plan.analysis.intervalMs;
  const schedule: StepRounds[] = [];
  let t = 0;
  for (const step of plan.steps) {
    const startMs = t;
    const roundsMs: number[] = [];
    let bakedMs = 0;
    for (let round = 0; ; round++) {
      const waitMs = step.bakeMs === 0 ? (round === 0 ? 0 : intervalMs) : Math.min(intervalMs, Math.max(0, step.bakeMs - bakedMs));
      t += waitMs;
      roundsMs.push(t);
      bakedMs += waitMs;
      if (bakedMs >= step.bakeMs) break;
    }
    schedule.push({ step: step.index, startMs, roundsMs });
  }
  return schedule;
}

/** The plan's minimum total duration: the sum of its bakes. */
export function minimumDurationMs(plan: Pick<ResolvedPlan, 'steps'>): number {
  return plan.steps.reduce((total, step) => total + step.bakeMs, 0);
}

/**
 * Start times of the simulated rollouts: `from`, then every `everyMs`, while a whole rollout
 * (its minimum duration) fits before `to`.
 */
export function runStarts(fromMs: number, toMs: number, everyMs: number, durationMs: number): number[] {
  const starts: number[] = [];
  for (let start = fromMs; start + durationMs <= toMs; start += everyMs) starts.push(start);
  return starts;
}
