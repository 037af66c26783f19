import { ProviderError } from '../lib/errors.js';
import { loadPlan } from '../lib/plan/load.js';
import type { ResolvedPlan } from '../lib/plan/types.js';
import { operatorIdentity } from '../lib/operator.js';
import { startSession } from '../lib/rollout/session.js';
import { loadPolicyInForce, parseSetFlags, printPlanWarning, prometheusOverride, type CommandContext } from './context.js';
import { driveSession, parseApprovalTimeout, sessionOptions, withStore } from './run-session.js';

export interface RolloutRunInput {
  file: string;
  set: string[];
  onApproval: 'wait' | 'exit';
  approvalTimeout?: string | undefined;
  dryRun: boolean;
  /** `--override-freeze`: start inside a freeze window of the policy (needs `reason`). */
  overrideFreeze?: boolean;
  reason?: string | undefined;
}

/**
 * Before anything is changed: a rollout that cannot measure would only shift traffic and roll it
 * back on errors. An unreachable Prometheus is exit 3, said once, naming the address.
 */
async function checkPrometheusAnswers(plan: ResolvedPlan, env: NodeJS.ProcessEnv): Promise<void> {
  const { createPrometheusClient } = await import('../lib/prometheus/client.js');
  const api = createPrometheusClient(plan.prometheus, { env });
  try {
    await api.instant('vector(1)');
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    throw new ProviderError(`${error.message}: the rollout was not started, nothing was changed`, error.address, error.errorType, { cause: error });
  }
}

export async function run(ctx: CommandContext, input: RolloutRunInput): Promise<number> {
  const approvalTimeoutMs = parseApprovalTimeout(input.approvalTimeout);
  const prometheusUrl = prometheusOverride(ctx);
  const loadOptions = { set: parseSetFlags(input.set), env: ctx.env, cwd: ctx.cwd, onWarning: printPlanWarning(ctx), ...(prometheusUrl ? { prometheusUrl } : {}) };
  const policy = await loadPolicyInForce(ctx);
  let plan: ResolvedPlan;
  let policyEvidence: Record<string, unknown> | undefined;
  if (policy) {
    const enforce = await import('../lib/policy/enforce.js');
    const override = enforce.freezeOverrideFrom(input, operatorIdentity(ctx.env).display);
    // Validated fully, against the policy too, before anything is changed (exit 2).
    plan = await enforce.loadPlanUnderPolicy(input.file, loadOptions, policy);
    // Only the start is checked: a freeze that begins while the rollout runs does not stop it.
    const admitted = enforce.admitRollout(policy, new Date(), { ...(override ? { override } : {}), dryRun: input.dryRun });
    if (admitted.freeze?.overridden) ctx.ui.warn(`freeze window ${admitted.freeze.windows.map((w) => `"${w.name}"`).join(', ')} overridden by ${admitted.freeze.by}: ${admitted.freeze.reason}`);
    else if (admitted.freeze?.dryRun) ctx.ui.warn(`freeze window ${admitted.freeze.windows.map((w) => `"${w.name}"`).join(', ')} is active; a dry run changes no traffic, so it goes ahead`);
    else if (override) ctx.ui.info('--override-freeze: no freeze window is active, nothing to override');
    policyEvidence = admitted as unknown as Record<string, unknown>;
  } else {
    if (input.overrideFreeze) ctx.ui.warn('--override-freeze: no RolloutPolicy is in force (--policy or ROLLGATE_POLICY), nothing to override');
    plan = await loadPlan(input.file, loadOptions);
  }
  await checkPrometheusAnswers(plan, ctx.env);
  return withStore(ctx, (store) =>
    driveSession(
      ctx,
      store,
      (onEvent) =>
        startSession(plan, {
          ...sessionOptions(ctx, store, { dryRun: input.dryRun, onApproval: input.onApproval, ...(approvalTimeoutMs ? { approvalTimeoutMs } : {}) }, onEvent),
          ...(policyEvidence ? { policy: policyEvidence } : {}),
        }),
      () => plan.steps.length,
      input.onApproval,
    ),
  );
}
