/**
 * A plan against a policy's rules: every violation, each at the plan node that breaks the rule,
 * as `plan.yaml:line:col: <rule>: what is wrong`. Pure: the resolved plan says what the plan
 * does, the parsed source says where it is written (explicit `steps:` or the `canary:` shorthand).
 */
import { formatDuration } from '../duration.js';
import type { PlanIssue } from '../errors.js';
import { ACTION_RUNTIME_PLACEHOLDERS } from '../plan/plan-vars.js';
import type { PathSegment, PlanSource } from '../plan/positions.js';
import type { RawRolloutPlan } from '../plan/schema.js';
import type { ResolvedPlan } from '../plan/types.js';
import { placeholdersIn, renderTemplate } from '../template.js';
import type { ResolvedPolicy } from './types.js';

/** What a policy is checked against: a valid plan, as resolved and as written. */
export interface PlanUnderCheck {
  plan: ResolvedPlan;
  raw: RawRolloutPlan;
  source: PlanSource;
}

export type RuleName = 'requiredGates' | 'minBake' | 'maxFirstWeight' | 'maxStepIncrease' | 'approvalAbove' | 'requireAutoRollback' | 'allowedTrafficHosts';

class Violations {
  readonly issues: PlanIssue[] = [];
  constructor(private readonly source: PlanSource) {}

  add(rule: RuleName, path: PathSegment[], message: string, at?: 'key'): void {
    const issue = this.source.issue({ path, message, ...(at ? { at } : {}) });
    this.issues.push({ ...issue, path: rule });
  }
}

/** Where each step is written: `steps[i]` or, for the shorthand, `canary.weights[i]` and `canary.bake`. */
function stepPaths(raw: RawRolloutPlan, index: number): { step: PathSegment[]; weight: PathSegment[]; bake: PathSegment[] | undefined; approval: PathSegment[]; shorthand: boolean } {
  if (raw.steps) {
    const step = raw.steps[index];
    return {
      step: ['steps', index],
      weight: ['steps', index, 'weight'],
      bake: step?.bake !== undefined ? ['steps', index, 'bake'] : undefined,
      approval: step?.approval !== undefined ? ['steps', index, 'approval'] : ['steps', index],
      shorthand: false,
    };
  }
  return {
    step: ['canary', 'weights', index],
    weight: ['canary', 'weights', index],
    bake: ['canary', 'bake'],
    approval: raw.canary?.approval !== undefined ? ['canary', 'approval'] : ['canary', 'weights', index],
    shorthand: true,
  };
}

const stepName = (index: number): string => `step ${index + 1}`;

function checkRequiredGates(v: Violations, { plan, raw }: PlanUnderCheck, required: string[], policyName: string): void {
  for (const name of required) {
    const index = plan.gates.findIndex((gate) => gate.name === name);
    if (index < 0) {
      v.add('requiredGates', ['gates'], `the plan has no gate named "${name}" (policy ${policyName} requires it in every step)`, 'key');
      continue;
    }
    if (plan.gates[index]!.severity === 'warning') {
      v.add('requiredGates', ['gates', index, 'severity'], `gate "${name}" is severity warning: a required gate must be critical, so that it can roll back`);
    }
    raw.steps?.forEach((step, stepIndex) => {
      if (step.gates && !step.gates.includes(name)) v.add('requiredGates', ['steps', stepIndex, 'gates'], `${stepName(stepIndex)} does not check the required gate "${name}"; add it to the step's gates`);
    });
  }
}

function checkMinBake(v: Violations, { plan, raw }: PlanUnderCheck, minBakeMs: number): void {
  if (!raw.steps) {
    const bakeMs = plan.steps[0]?.bakeMs ?? 0;
    if (bakeMs < minBakeMs) v.add('minBake', ['canary', 'bake'], `every step bakes ${formatDuration(bakeMs)}, less than ${formatDuration(minBakeMs)}`);
    return;
  }
  for (const step of plan.steps) {
    if (step.bakeMs >= minBakeMs) continue;
    const paths = stepPaths(raw, step.index);
    const written = paths.bake ? formatDuration(step.bakeMs) : `0s (no bake:)`;
    v.add('minBake', paths.bake ?? paths.step, `${stepName(step.index)} bakes ${written}, less than ${formatDuration(minBakeMs)}`);
  }
}

function checkWeights(v: Violations, { plan, raw }: PlanUnderCheck, rules: ResolvedPolicy['rules']): void {
  const first = plan.steps[0];
  if (rules.maxFirstWeight !== undefined && first && first.weight > rules.maxFirstWeight) {
    v.add('maxFirstWeight', stepPaths(raw, 0).weight, `the first step sends ${first.weight}% of traffic to the canary, more than ${rules.maxFirstWeight}%`);
  }
  if (rules.maxStepIncrease !== undefined) {
    for (let i = 1; i < plan.steps.length; i++) {
      const increase = plan.steps[i]!.weight - plan.steps[i - 1]!.weight;
      if (increase > rules.maxStepIncrease) {
        v.add('maxStepIncrease', stepPaths(raw, i).weight, `${stepName(i)} goes from ${plan.steps[i - 1]!.weight}% to ${plan.steps[i]!.weight}%: +${increase} points, more than ${rules.maxStepIncrease}`);
      }
    }
  }
  if (rules.approvalAbove !== undefined) {
    const limit = rules.approvalAbove;
    // A step's approval is asked after its bake: the approval that guards entering a step above the
    // limit is therefore on the step before it.
    for (const step of plan.steps) {
      if (step.weight <= limit) continue;
      if (step.index === 0) {
        v.add('approvalAbove', stepPaths(raw, 0).weight, `the first step already sends ${step.weight}%, above ${limit}%, so no one can approve before it; start at ${limit}% or less`);
        continue;
      }
      const before = plan.steps[step.index - 1]!;
      if (before.approval) continue;
      const paths = stepPaths(raw, before.index);
      const hint = paths.shorthand ? ' (the canary shorthand asks only before the last step: write steps: to ask before each)' : '';
      v.add('approvalAbove', paths.approval, `${stepName(step.index)} goes to ${step.weight}%, above ${limit}%: ${stepName(before.index)} (${before.weight}%) must have approval: true so a person approves first${hint}`);
    }
  }
}

/** Every http action of the plan with where its url is written. */
function httpActions(raw: RawRolloutPlan): Array<{ url: string; path: PathSegment[] }> {
  const found: Array<{ url: string; path: PathSegment[] }> = [];
  const visit = (action: { http?: { url: string } | undefined; undo?: { http?: { url: string } | undefined } | undefined } | undefined, path: PathSegment[]): void => {
    if (!action) return;
    if (action.http) found.push({ url: action.http.url, path: [...path, 'http', 'url'] });
    if (action.undo?.http) found.push({ url: action.undo.http.url, path: [...path, 'undo', 'http', 'url'] });
  };
  visit(raw.traffic, ['traffic']);
  for (const [phase, hooks] of Object.entries(raw.hooks ?? {})) (hooks ?? []).forEach((hook, index) => visit(hook, ['hooks', phase, index]));
  return found;
}

/** `router.internal`, `router.internal:8080`, `*.internal` (any subdomain of internal). */
function hostAllowed(url: URL, allowed: readonly string[]): boolean {
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const withPort = url.port ? `${host}:${url.port}` : host;
  return allowed.some((entry) => {
    const pattern = entry.toLowerCase();
    if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
    return pattern === host || pattern === withPort;
  });
}

function checkHosts(v: Violations, { plan, raw }: PlanUnderCheck, allowed: string[]): void {
  for (const { url, path } of httpActions(raw)) {
    const rendered = renderTemplate(url, plan.vars, [...ACTION_RUNTIME_PLACEHOLDERS]);
    let parsed: URL;
    try {
      parsed = new URL(rendered);
    } catch {
      v.add('allowedTrafficHosts', path, `cannot tell which host "${url}" calls`);
      continue;
    }
    if (placeholdersIn(parsed.host).length > 0 || parsed.host.includes('%7B%7B')) {
      v.add('allowedTrafficHosts', path, `the host of "${url}" is only known at run time, so it cannot be checked against the allowed hosts (${allowed.join(', ')})`);
      continue;
    }
    if (!hostAllowed(parsed, allowed)) v.add('allowedTrafficHosts', path, `calls ${parsed.host}, which is not an allowed host (allowed: ${allowed.join(', ')})`);
  }
}

/** Every rule the plan breaks, in file order. */
export function checkPlanAgainstPolicy(target: PlanUnderCheck, policy: ResolvedPolicy): PlanIssue[] {
  const v = new Violations(target.source);
  const { rules } = policy;
  if (rules.requiredGates) checkRequiredGates(v, target, rules.requiredGates, policy.name);
  if (rules.minBakeMs !== undefined) checkMinBake(v, target, rules.minBakeMs);
  checkWeights(v, target, rules);
  if (rules.requireAutoRollback && !target.plan.rollback.auto) {
    v.add('requireAutoRollback', ['rollback', 'auto'], `rollback.auto is false; policy ${policy.name} requires automatic rollback when a critical gate fails`);
  }
  if (rules.allowedTrafficHosts) checkHosts(v, target, rules.allowedTrafficHosts);
  // Stable: violations at one position keep the rule order above.
  return [...v.issues].sort((a, b) => a.line - b.line || a.col - b.col);
}
