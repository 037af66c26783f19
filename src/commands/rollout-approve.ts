import { UsageError } from '../lib/errors.js';
import { operatorIdentity } from '../lib/operator.js';
import { findRollout } from '../lib/rollout/find.js';
import { statusWords } from '../lib/rollout/status-words.js';
import { stepFields } from '../lib/rollout/step-number.js';
import type { CommandContext } from './context.js';
import { withStore } from './run-session.js';

export async function run(ctx: CommandContext, input: { target: string; comment?: string | undefined }): Promise<number> {
  return withStore(ctx, async (store) => {
    const { rolloutId, view } = await findRollout(store, input.target);
    const pending = view.awaitingApproval;
    // Approving twice is not an error, but it must not look like a second approval either.
    const already = pending ? await store.getApproval(rolloutId, pending.key) : view.lastDecision?.decision === 'approve' ? view.lastDecision : undefined;
    if (already) {
      const step = pending?.step ?? view.lastDecision?.step ?? view.step;
      if (ctx.ui.mode === 'json') ctx.ui.json({ rolloutId, approved: true, alreadyApproved: true, ...stepFields(step), by: already.by, at: already.at, resumeNeeded: pending !== undefined && view.status === 'paused' });
      else ctx.ui.info(`step ${step + 1} of ${rolloutId} was already approved by ${already.by} at ${already.at}`);
      return 0;
    }
    if (!pending) throw new UsageError(`rollout ${rolloutId} is not waiting for an approval (it is ${statusWords(view.status)})`, 'see: rollgate rollout status ' + rolloutId);
    const by = operatorIdentity(ctx.env).display;
    const at = new Date().toISOString();
    await store.setApproval(rolloutId, { step: pending.key, decision: 'approve', by, at, ...(input.comment ? { comment: input.comment } : {}) });
    const runnerGone = view.status === 'paused';
    if (ctx.ui.mode === 'json') {
      ctx.ui.json({ rolloutId, approved: true, alreadyApproved: false, ...stepFields(pending.step), by, at, resumeNeeded: runnerGone });
    } else {
      ctx.ui.success(`approved step ${pending.step + 1} of ${rolloutId} as ${by}`);
      if (runnerGone) ctx.ui.info(`its runner has exited; continue with: rollgate rollout resume ${rolloutId}`);
    }
    return 0;
  });
}
