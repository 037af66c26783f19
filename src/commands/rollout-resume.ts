import { findRollout } from '../lib/rollout/find.js';
import { resumeSession } from '../lib/rollout/session.js';
import type { CommandContext } from './context.js';
import { driveSession, parseApprovalTimeout, sessionOptions, withStore } from './run-session.js';

export async function run(ctx: CommandContext, input: { target: string; onApproval: 'wait' | 'exit'; approvalTimeout?: string | undefined }): Promise<number> {
  const approvalTimeoutMs = parseApprovalTimeout(input.approvalTimeout);
  return withStore(ctx, async (store) => {
    const found = await findRollout(store, input.target);
    return driveSession(
      ctx,
      store,
      (onEvent) => resumeSession(found.rolloutId, sessionOptions(ctx, store, { onApproval: input.onApproval, ...(approvalTimeoutMs ? { approvalTimeoutMs } : {}) }, onEvent)),
      () => found.view.plan?.steps.length ?? 0,
      input.onApproval,
    );
  });
}
