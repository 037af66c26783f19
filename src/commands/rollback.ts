import { ExitCode, UsageError } from '../lib/errors.js';
import { operatorIdentity } from '../lib/operator.js';
import { findRollout } from '../lib/rollout/find.js';
import { reduceEvents } from '../lib/rollout/reduce.js';
import { sleep } from '../lib/sleep.js';
import { releaseDeadLockOf, rollbackSession } from '../lib/rollout/session.js';
import { isLockDead } from '../lib/state/lock-liveness.js';
import type { StateStore } from '../lib/state/types.js';
import { createRolloutRenderer } from '../lib/ui/rollout-view.js';
import type { CommandContext } from './context.js';
import { driveSession, outcomeWords, sessionOptions, unsaidReason, withStore } from './run-session.js';
import { stepFields } from '../lib/rollout/step-number.js';

export interface RollbackInput {
  target: string;
  reason: string;
  severity: 'critical' | 'major' | 'minor';
}

/**
 * Emergency rollback. A live runner (any machine sharing the store) is asked to abort and this
 * command follows its log until it has rolled back; an orphaned rollout is taken over and rolled
 * back here. Exit 0 when traffic is back on stable, 4 when the rollback failed.
 */
export async function run(ctx: CommandContext, input: RollbackInput): Promise<number> {
  return withStore(ctx, async (store) => {
    const { rolloutId, view } = await findRollout(store, input.target);
    const by = operatorIdentity(ctx.env).display;
    const finished = view.status === 'promoted' || (view.status === 'rolled_back' && (view.rollback?.incomplete.length ?? 0) === 0);
    // A runner that died after recording the end but before releasing the lock: take it over (recorded).
    if (finished && (await releaseDeadLockOf(store, rolloutId, view.service, by))) ctx.ui.warn(`the lock left by the dead runner of ${rolloutId} was taken over and released`);
    if (view.status === 'promoted') throw new UsageError(`rollout ${rolloutId} was already promoted; rollback applies to unfinished rollouts`, 'to revert a promoted version, roll out the previous one');
    if (view.status === 'rolled_back' && finished) {
      ctx.ui.success(`rollout ${rolloutId} is already rolled back`);
      if (ctx.ui.mode === 'json') ctx.ui.json({ rolloutId, service: view.service, status: view.status, ...stepFields(view.step), weight: view.weight });
      return 0;
    }
    if (view.status === 'rolled_back') ctx.ui.warn(`the rollback of ${rolloutId} ended incomplete (${view.rollback?.incomplete.join('; ')}): retrying what failed`);
    await ctx.ui.confirm(`Roll back ${rolloutId} (${view.service}, canary at ${view.weight}%)?`, { default: false }).then((yes) => {
      if (!yes) throw new UsageError('rollback not confirmed');
    });
    // Durable first: even a runner that misses the notification sees the flag on its next tick.
    // An alert that asked first (rollgate serve) stays in the record: its source goes with this request.
    const source = (await store.getAbortRequest(rolloutId).catch(() => undefined))?.source;
    await store.requestAbort(rolloutId, { reason: input.reason, severity: input.severity, by, at: new Date().toISOString(), ...(source ? { source } : {}) });

    const lock = view.service ? await store.getLock(view.service) : undefined;
    if (lock && lock.rolloutId === rolloutId && !isLockDead(lock, new Date())) {
      ctx.ui.info(`asked the runner of ${rolloutId} (pid ${lock.pid} on ${lock.host}) to roll back`);
      const followed = await followRunner(ctx, store, rolloutId, view.service, view.plan?.steps.length ?? 0, view.plan?.rollback.timeoutMs ?? 120_000);
      if (followed !== 'runner-gone') return followed;
      ctx.ui.warn(`the runner of ${rolloutId} is gone before finishing: taking over`);
    } else {
      ctx.ui.info(`no live runner for ${rolloutId}: rolling it back here`);
    }
    const code = await driveSession(
      ctx,
      store,
      (onEvent) => rollbackSession(rolloutId, { reason: input.reason, severity: input.severity, ...(source ? { source } : {}) }, sessionOptions(ctx, store, {}, onEvent)),
      () => view.plan?.steps.length ?? 0,
    );
    // For this command, a rollout rolled back is the job done.
    return code === ExitCode.failed ? ExitCode.ok : code;
  });
}

/** Tails the log of a rollout driven by another process until it has ended (or its runner died). */
async function followRunner(ctx: CommandContext, store: StateStore, rolloutId: string, service: string, totalSteps: number, rollbackTimeoutMs: number): Promise<number | 'runner-gone'> {
  const renderer = createRolloutRenderer(ctx.ui, totalSteps);
  let seen = (await store.readEvents(rolloutId)).length;
  const deadline = Date.now() + rollbackTimeoutMs + 30_000;
  try {
    while (Date.now() < deadline) {
      await sleep(200);
      const events = await store.readEvents(rolloutId);
      for (const event of events.slice(seen)) renderer.onEvent(event);
      seen = events.length;
      const view = reduceEvents(events);
      if (view.status === 'rolled_back' || view.status === 'failed' || view.status === 'aborted') {
        const ok = view.status === 'rolled_back';
        if (ctx.ui.mode === 'json') ctx.ui.json({ kind: 'result', rolloutId, service: view.service, status: view.status, ...stepFields(view.step), weight: view.weight, reason: view.reason ?? null });
        else if (ok) ctx.ui.success(`${rolloutId} rolled back: traffic is on stable`);
        else {
          const reason = unsaidReason(view.reason, (text) => renderer.said(text));
          ctx.ui.error(`${rolloutId}: ${outcomeWords(view.status, view.weight)}${reason ? ` — ${reason}` : ''}`);
        }
        return ok ? ExitCode.ok : view.status === 'aborted' ? ExitCode.interrupted : ExitCode.rollbackFailed;
      }
      const lock = await store.getLock(service);
      if (!lock || lock.rolloutId !== rolloutId || isLockDead(lock, new Date())) return 'runner-gone';
    }
  } finally {
    renderer.stop();
  }
  ctx.ui.error(`the runner of ${rolloutId} did not finish rolling back in time; check: rollgate rollout status ${rolloutId}`);
  return ExitCode.noVerdict;
}
