import { loadPlan } from '../lib/plan/load.js';
import { startSession } from '../lib/rollout/session.js';
import { parseSetFlags, prometheusOverride, type CommandContext } from './context.js';
import { driveSession, parseApprovalTimeout, sessionOptions, withStore } from './run-session.js';

export interface RolloutRunInput {
  file: string;
  set: string[];
  onApproval: 'wait' | 'exit';
  approvalTimeout?: string | undefined;
  dryRun: boolean;
}

export async function run(ctx: CommandContext, input: RolloutRunInput): Promise<number> {
  const approvalTimeoutMs = parseApprovalTimeout(input.approvalTimeout);
  const prometheusUrl = prometheusOverride(ctx);
  // Validated fully before anything is changed (exit 2 on any plan error).
  const plan = await loadPlan(input.file, { set: parseSetFlags(input.set), env: ctx.env, cwd: ctx.cwd, ...(prometheusUrl ? { prometheusUrl } : {}) });
  return withStore(ctx, (store) =>
    driveSession(
      ctx,
      store,
      (onEvent) => startSession(plan, sessionOptions(ctx, store, { dryRun: input.dryRun, onApproval: input.onApproval, ...(approvalTimeoutMs ? { approvalTimeoutMs } : {}) }, onEvent)),
      () => plan.steps.length,
    ),
  );
}
