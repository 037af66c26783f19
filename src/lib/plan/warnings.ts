/**
 * Validation warnings: a plan that is valid but probably does not do what its author meant.
 * They are printed (`plan validate`, exit stays 0) and never stop a rollout.
 */
import { formatDuration } from '../duration.js';
import type { PathIssue } from './positions.js';
import type { ResolvedPlan } from './types.js';

/**
 * A gate whose `for` window is longer than the bake of a step that checks it judges, at the end
 * of that bake, traffic from before the step began (the previous weight, or no canary at all).
 * Reported once per step, at the step's bake (or the shorthand's bake).
 */
export function planWarnings(plan: ResolvedPlan, declared: { steps?: unknown[]; canary?: unknown }): PathIssue[] {
  const warnings: PathIssue[] = [];
  const shorthand = declared.steps === undefined && declared.canary !== undefined;
  const reported = new Set<string>();
  for (const step of plan.steps) {
    for (const gate of plan.gates.filter((g) => step.gates.includes(g.name))) {
      if (gate.forMs === undefined || gate.forMs <= step.bakeMs) continue;
      const hasBake = shorthand || stepHasBake(declared.steps, step.index);
      const path = shorthand ? ['canary', 'bake'] : ['steps', step.index, hasBake ? 'bake' : 'weight'];
      const key = `${path.join('.')}\0${gate.name}`;
      if (reported.has(key)) continue;
      reported.add(key);
      const where = shorthand ? 'each step' : `step ${step.index + 1} (weight ${step.weight}%)`;
      warnings.push({
        path,
        // Without a bake, point at the step itself (its first key), where a bake would be added.
        ...(hasBake ? {} : { at: 'key' as const }),
        message: `gate "${gate.name}" looks back ${formatDuration(gate.forMs)} (for), longer than the ${formatDuration(step.bakeMs)} bake of ${where}: its window reaches into the traffic before the step began; bake at least ${formatDuration(gate.forMs)} or shorten for`,
      });
    }
  }
  return warnings;
}

function stepHasBake(steps: unknown[] | undefined, index: number): boolean {
  const step = steps?.[index];
  return typeof step === 'object' && step !== null && 'bake' in step;
}
