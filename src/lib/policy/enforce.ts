/**
 * What the commands do with `--policy`: load a plan and hold it to the policy's rules (every
 * violation at once, exit 2), and decide whether a rollout may start now (freeze windows).
 */
import { FreezeWindowError, PlanError, PolicyViolationError, UsageError } from '../errors.js';
import { checkPlanFile, type LoadPlanOptions, type PlanCheck } from '../plan/load.js';
import type { ResolvedPlan } from '../plan/types.js';
import { activeFreezes, describeFreeze, type ActiveFreeze } from './freeze.js';
import { checkPlanAgainstPolicy } from './rules.js';
import type { ResolvedPolicy } from './types.js';

export { loadPolicy } from './load.js';
export { checkPolicyFile } from './load.js';
export { checkPlanAgainstPolicy } from './rules.js';

/** The violations of an already checked, valid plan (empty when it meets every rule). */
export function policyViolations(checked: PlanCheck, policy: ResolvedPolicy) {
  if (!checked.plan || !checked.raw || !checked.source) return [];
  return checkPlanAgainstPolicy({ plan: checked.plan, raw: checked.raw, source: checked.source }, policy);
}

/** Loads a plan; with a policy, a plan that breaks any rule is refused with all its violations. */
export async function loadPlanUnderPolicy(file: string, options: LoadPlanOptions, policy: ResolvedPolicy | undefined): Promise<ResolvedPlan> {
  const checked = await checkPlanFile(file, options);
  if (!checked.plan) throw new PlanError(checked.issues);
  if (policy) {
    const violations = policyViolations(checked, policy);
    if (violations.length > 0) throw new PolicyViolationError(violations);
  }
  return checked.plan;
}

/** What the evidence records about the policy a rollout ran under (the rollout.started event). */
export interface PolicyEvidence {
  name: string;
  file: string;
  sha256: string;
  /** The freeze windows active at the start, and whether they were overridden, by whom and why. */
  freeze: null | {
    windows: Array<{ name: string; reason: string | null; from: string; until: string }>;
    overridden: boolean;
    by: string | null;
    reason: string | null;
    /** A dry run changes no traffic, so a freeze does not stop it; recorded all the same. */
    dryRun: boolean;
  };
}

export interface FreezeOverride {
  /** `--reason TEXT` */
  reason: string;
  /** user@host or the CI job: who overrode the freeze. */
  by: string;
}

/**
 * Decides whether a rollout may start at `now` under the policy. Inside a freeze window it is
 * refused (FreezeWindowError, exit 2) naming each window and when it ends, unless overridden or a
 * dry run. Returns what the evidence records either way.
 */
export function admitRollout(policy: ResolvedPolicy, now: Date, options: { override?: FreezeOverride; dryRun?: boolean }): PolicyEvidence {
  const active: ActiveFreeze[] = activeFreezes(policy.freezeWindows, now);
  const base = { name: policy.name, file: policy.file, sha256: policy.sha256 };
  if (active.length === 0) return { ...base, freeze: null };
  if (!options.override && !options.dryRun) {
    throw new FreezeWindowError(
      `rollout refused by policy ${policy.name}: ${active.map((freeze) => describeFreeze(freeze, now)).join('; ')}`,
      'a freeze that must be broken: --override-freeze --reason "why" (recorded in the evidence with who did it)',
    );
  }
  return {
    ...base,
    freeze: {
      windows: active.map((freeze) => ({ name: freeze.name, reason: freeze.reason ?? null, from: freeze.from.toISOString(), until: freeze.until.toISOString() })),
      overridden: Boolean(options.override),
      by: options.override?.by ?? null,
      reason: options.override?.reason ?? null,
      dryRun: Boolean(options.dryRun),
    },
  };
}

/** `--override-freeze` needs `--reason`: an override nobody explained is not evidence. */
export function freezeOverrideFrom(flags: { overrideFreeze?: boolean; reason?: string | undefined }, by: string): FreezeOverride | undefined {
  if (!flags.overrideFreeze) {
    if (flags.reason !== undefined) throw new UsageError('--reason is only used with --override-freeze');
    return undefined;
  }
  const reason = flags.reason?.trim();
  if (!reason) throw new UsageError('--override-freeze needs --reason TEXT: why the freeze is broken (recorded in the evidence)', 'for example: --override-freeze --reason "hotfix for INC-1234"');
  return { reason, by };
}
