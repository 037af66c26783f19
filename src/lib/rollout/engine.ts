/**
 * The forward path of the saga and the decision of how a run ends. It never prints: every step
 * is an event in the log, and the outcome is a value the command turns into an exit code.
 */
import { ExitCode, ProviderError, RollbackFailedError, StateError } from '../errors.js';
import { sleep } from '../sleep.js';
import { awaitApproval, settlePendingApproval } from './approval.js';
import { bakeStep } from './bake.js';
import { NoVerdict, PauseRequired, RollbackRequired } from './control.js';
import { EventType, hookId } from './events.js';
import type { RolloutOutcome } from './outcome.js';
import { recordedFailure, type RolloutView } from './reduce.js';
import { interrupted, rollBack } from './rollback.js';
import { actionVars, record, type RolloutRuntime } from './runtime.js';
import { applyWeight, perform, runHook } from './steps.js';

/** Drives a rollout from wherever its log says it is until it is promoted, rolled back or paused. */
export async function driveRollout(rt: RolloutRuntime): Promise<RolloutOutcome> {
  try {
    return await driveRecorded(rt);
  } catch (error) {
    if (error instanceof StateError) return restoreWithoutStore(rt, error);
    throw error;
  }
}

/**
 * The state store failed under a running rollout: nothing more can be recorded, but traffic can
 * still be put back on stable (the traffic action does not need the store). The error says which.
 */
async function restoreWithoutStore(rt: RolloutRuntime, cause: StateError): Promise<never> {
  const atRisk = rt.weightAtRisk;
  if (atRisk === 0 || rt.options.dryRun || rt.hardStop.signal.aborted) throw cause;
  // Only the owner may touch traffic: a conflict in the log can mean another runner took over
  // (we were judged dead). If the store answers that we lost the lock, leave traffic to the new owner.
  const stillOwner = await rt.store.heartbeat(rt.plan.service, rt.lockToken).catch(() => undefined);
  if (stillOwner === false) throw new StateError(`${cause.message}; another runner owns ${rt.plan.service} now, so this one stops without touching traffic`);
  const vars = actionVars(rt, { weight: '0', step: '-1' });
  const deadline = Date.now() + rt.plan.rollback.timeoutMs;
  let result = await perform(rt, rt.plan.traffic, vars, rt.hardStop.signal);
  while (!result.ok && Date.now() < deadline && !rt.hardStop.signal.aborted) {
    await sleep(1_000, rt.hardStop.signal);
    result = await perform(rt, rt.plan.traffic, vars, rt.hardStop.signal);
  }
  if (!result.ok) {
    throw new RollbackFailedError(
      `${cause.message}; traffic could not be restored either (${result.error ?? 'the traffic action failed'}): the canary may still receive ${atRisk}% of traffic`,
      `set the weight to 0 by hand, then record it: rollgate rollback ${rt.rolloutId} --reason "..."`,
    );
  }
  throw new StateError(
    `${cause.message}; traffic was put back on stable (weight 0) but this could not be recorded in the evidence log`,
    `when the store is back, record it: rollgate rollback ${rt.rolloutId} --reason "state store outage"`,
  );
}

async function driveRecorded(rt: RolloutRuntime): Promise<RolloutOutcome> {
  const view = rt.log.view;
  if (view.rollback || view.aborted || view.status === 'aborted') {
    // A rollback was under way when the previous runner stopped: finish it, never go forward again.
    return rollBack(rt, { trigger: (view.rollback?.trigger as RollbackRequired['trigger']) ?? 'takeover', reason: view.rollback?.reason ?? view.reason ?? 'resumed an interrupted rollout', by: rt.operator });
  }
  rt.pendingApproval = view.awaitingApproval ? { step: view.awaitingApproval.step, key: view.awaitingApproval.key, planned: view.awaitingApproval.planned, request: view.awaitingApproval.request } : undefined;
  try {
    if (rt.pendingApproval && (await settlePendingApproval(rt, rt.pendingApproval))) rt.pendingApproval = undefined;
    // A failure over its limit already recorded (the runner died before acting on it): roll back now.
    const failure = recordedFailure(view, view.step);
    if (failure && !view.completedSteps.has(view.step) && rt.plan.rollback.auto) throw new RollbackRequired('gate', failure);
    const outcome = await forward(rt, view);
    // Once promotion is recorded it stands: a late abort (during afterPromotion hooks) changes nothing.
    if (rt.stop.signal.aborted && outcome.status !== 'promoted') return stopRequested(rt);
    return outcome;
  } catch (error) {
    if (rt.stop.signal.aborted) return stopRequested(rt);
    if (error instanceof RollbackRequired) {
      return rollBack(rt, { trigger: error.trigger, reason: error.reason, by: error.by ?? rt.operator, ...(error.severity ? { severity: error.severity } : {}) });
    }
    const current = rt.log.view;
    if (error instanceof PauseRequired) {
      await record(rt, EventType.paused, { reason: error.reason, step: current.step, weight: current.weight });
      return { status: 'paused', step: current.step, weight: current.weight, reason: error.reason, exitCode: ExitCode.paused };
    }
    if (error instanceof NoVerdict) {
      await record(rt, EventType.paused, { reason: error.reason, step: current.step, weight: current.weight, noVerdict: true });
      return { status: 'paused', step: current.step, weight: current.weight, reason: error.reason, exitCode: ExitCode.noVerdict };
    }
    // The store itself failed: handled by driveRollout (restore traffic without recording).
    if (error instanceof StateError) throw error;
    // Anything unexpected while traffic is shifted: restore stable first, then report.
    const reason = `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
    return rollBack(rt, { trigger: error instanceof ProviderError ? 'provider-error' : 'action', reason, by: rt.operator });
  }
}

async function stopRequested(rt: RolloutRuntime): Promise<RolloutOutcome> {
  const request = rt.stopRequest ?? { trigger: 'abort' as const, reason: 'stop requested', by: rt.operator };
  if (rt.hardStop.signal.aborted) {
    return interrupted(rt, rt.log.view.step, rt.log.view.weight, request.reason);
  }
  return rollBack(rt, request);
}

async function forward(rt: RolloutRuntime, view: RolloutView): Promise<RolloutOutcome> {
  const { plan } = rt;
  const signal = rt.stop.signal;

  for (const [index, hook] of plan.hooks.beforeRollout.entries()) {
    if (view.finishedHooks.has(hookId('beforeRollout', index))) continue;
    const result = await runHook(rt, 'beforeRollout', index, hook, undefined, signal);
    if (signal.aborted) return placeholderOutcome(view);
    if (!result.ok) throw new RollbackRequired('action', `hook beforeRollout[${index}] failed: ${result.error ?? 'failed'}`);
  }

  for (const step of plan.steps) {
    if (view.completedSteps.has(step.index)) continue;
    if (signal.aborted) return placeholderOutcome(view);
    await record(rt, EventType.stepStarted, { step: step.index, weight: step.weight, bakeMs: step.bakeMs, approval: step.approval, gates: step.gates });

    for (const [index, hook] of plan.hooks.beforeStep.entries()) {
      if (view.finishedHooks.has(hookId('beforeStep', index, step.index))) continue;
      const result = await runHook(rt, 'beforeStep', index, hook, step.index, signal);
      if (signal.aborted) return placeholderOutcome(view);
      if (!result.ok) throw new RollbackRequired('action', `hook beforeStep[${index}] failed at step ${step.index + 1}: ${result.error ?? 'failed'}`);
    }

    // Re-applying the current weight after a crash is safe; going backwards never happens here.
    const applied = await applyWeight(rt, step.weight, { step: step.index, signal });
    if (signal.aborted) return placeholderOutcome(view);
    if (!applied.ok) throw new RollbackRequired('action', `traffic action failed setting ${step.weight}%: ${applied.error ?? 'failed'}`);

    if (!view.bakedSteps.has(step.index)) await bakeStep(rt, step);
    if (signal.aborted) return placeholderOutcome(view);

    if (step.approval && !view.approvedSteps.has(step.index)) {
      await awaitApproval(rt, step.index, step.weight, 'the plan asks for approval before going on', true);
      if (signal.aborted) return placeholderOutcome(view);
    }

    for (const [index, hook] of plan.hooks.afterStep.entries()) {
      if (view.finishedHooks.has(hookId('afterStep', index, step.index))) continue;
      const result = await runHook(rt, 'afterStep', index, hook, step.index, signal);
      if (signal.aborted) return placeholderOutcome(view);
      if (!result.ok) throw new RollbackRequired('action', `hook afterStep[${index}] failed at step ${step.index + 1}: ${result.error ?? 'failed'}`);
    }
    await record(rt, EventType.stepCompleted, { step: step.index, weight: step.weight });
  }

  // Promotion is done once the last weight holds; a failing notification does not undo it.
  const warnings: string[] = [];
  for (const [index, hook] of plan.hooks.afterPromotion.entries()) {
    if (view.finishedHooks.has(hookId('afterPromotion', index))) continue;
    const result = await runHook(rt, 'afterPromotion', index, hook, undefined, rt.hardStop.signal);
    if (!result.ok) warnings.push(`afterPromotion[${index}]: ${result.error ?? 'failed'}`);
  }
  const last = plan.steps.at(-1)!;
  await record(rt, EventType.promoted, { step: last.index, weight: last.weight, warnings, dryRun: rt.options.dryRun });
  return { status: 'promoted', step: last.index, weight: last.weight, exitCode: ExitCode.ok, ...(warnings.length ? { reason: `promoted with warnings: ${warnings.join('; ')}` } : {}) };
}

/** Returned when the forward path stops early; driveRollout replaces it with the rollback's outcome. */
function placeholderOutcome(view: RolloutView): RolloutOutcome {
  return { status: 'running', step: view.step, weight: view.weight, exitCode: ExitCode.failed };
}
