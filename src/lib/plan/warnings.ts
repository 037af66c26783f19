/**
 * Validation warnings: a plan that is valid but probably does not do what its author meant.
 * They are printed (plan validate/show, gate check, backtest, and rollout run before it starts;
 * the exit code stays as it is) and never stop a rollout.
 */
import { formatDuration } from '../duration.js';
import type { PathIssue } from './positions.js';
import { placeholdersIn } from '../template.js';
import { closestMatch } from './did-you-mean.js';
import { ACTION_RUNTIME_PLACEHOLDERS, BUILTIN_PLACEHOLDERS, QUERY_RUNTIME_PLACEHOLDERS } from './plan-vars.js';
import type { ResolvedPlan } from './types.js';

/**
 * Two ways a step's bake can fall short of what its gates need, reported once per step (and gate),
 * at the step's bake (or the shorthand's):
 * - a bake shorter than the analysis interval: the gates are measured once, at its end, so a
 *   failureLimit above 0 can never be exceeded there and a brief fault is easily missed;
 * - a gate whose `for` window is longer than the bake: at the end of the bake it judges traffic
 *   from before the step began (the previous weight, or no canary at all).
 * A bake of 0 is left alone: it says "look once and go on" on purpose.
 */
export function planWarnings(plan: ResolvedPlan, declared: { steps?: unknown[]; canary?: unknown }): PathIssue[] {
  const warnings: PathIssue[] = [];
  const shorthand = declared.steps === undefined && declared.canary !== undefined;
  const reported = new Set<string>();
  const intervalMs = plan.analysis.intervalMs;
  for (const step of plan.steps) {
    const hasBake = shorthand || stepHasBake(declared.steps, step.index);
    const path = shorthand ? ['canary', 'bake'] : ['steps', step.index, hasBake ? 'bake' : 'weight'];
    // Without a bake, point at the step itself (its first key), where a bake would be added.
    const at = hasBake ? {} : { at: 'key' as const };
    const where = shorthand ? 'each step' : `step ${step.index + 1} (weight ${step.weight}%)`;
    const once = (what: string): boolean => {
      const key = `${path.join('.')}\0${what}`;
      if (reported.has(key)) return false;
      reported.add(key);
      return true;
    };
    if (step.bakeMs > 0 && step.bakeMs < intervalMs && once('interval')) {
      warnings.push({
        path,
        ...at,
        message: `the ${formatDuration(step.bakeMs)} bake of ${where} is shorter than the analysis interval (${formatDuration(intervalMs)}): its gates are measured only once, at the end of the bake${plan.analysis.failureLimit > 0 ? `, so failureLimit ${plan.analysis.failureLimit} can never be exceeded there` : ''}; bake at least ${formatDuration(intervalMs)} or shorten analysis.interval`,
      });
    }
    for (const gate of plan.gates.filter((g) => step.gates.includes(g.name))) {
      if (gate.forMs === undefined || gate.forMs <= step.bakeMs || !once(`for\0${gate.name}`)) continue;
      warnings.push({
        path,
        ...at,
        message: `gate "${gate.name}" looks back ${formatDuration(gate.forMs)} (for), longer than the ${formatDuration(step.bakeMs)} bake of ${where}: its window reaches into the traffic before the step began; bake at least ${formatDuration(gate.forMs)} or shorten for`,
      });
    }
  }
  return warnings;
}

/**
 * `--set` names the plan never uses: neither declared under `vars:` nor written as a `{{name}}`
 * placeholder anywhere in it. The value goes nowhere, which is almost always a typo
 * (`--set verison=v3`), so the closest name the plan does use is suggested.
 */
export function unusedSetNames(set: Readonly<Record<string, string>>, data: unknown): Array<{ name: string; suggestion?: string }> {
  const names = Object.keys(set);
  if (names.length === 0) return [];
  const used = new Set<string>();
  const declared = (data as { vars?: unknown }).vars;
  if (typeof declared === 'object' && declared !== null && !Array.isArray(declared)) for (const name of Object.keys(declared)) used.add(name);
  collectPlaceholders(data, used);
  const candidates = [...used].filter((name) => !(BUILTIN_PLACEHOLDERS as readonly string[]).includes(name) && !(QUERY_RUNTIME_PLACEHOLDERS as readonly string[]).includes(name) && !(ACTION_RUNTIME_PLACEHOLDERS as readonly string[]).includes(name));
  return names
    .filter((name) => !used.has(name))
    .map((name) => {
      const suggestion = closestMatch(name, candidates);
      return suggestion === undefined ? { name } : { name, suggestion };
    });
}

function collectPlaceholders(value: unknown, into: Set<string>): void {
  if (typeof value === 'string') {
    for (const name of placeholdersIn(value)) into.add(name);
  } else if (Array.isArray(value)) {
    for (const item of value) collectPlaceholders(item, into);
  } else if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) collectPlaceholders(item, into);
  }
}

/** `--set verison=...: the plan uses no var "verison" (did you mean "version"?); the value is ignored` */
export function unusedSetMessage(unused: { name: string; suggestion?: string }): string {
  return `--set ${unused.name}=...: the plan uses no var "${unused.name}"${unused.suggestion !== undefined ? ` (did you mean "${unused.suggestion}"?)` : ''}; the value is ignored`;
}

function stepHasBake(steps: unknown[] | undefined, index: number): boolean {
  const step = steps?.[index];
  return typeof step === 'object' && step !== null && 'bake' in step;
}
