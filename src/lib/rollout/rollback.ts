/**
 * The rollback saga: compensations of everything executed (reverse order), weight back to 0,
 * `onRollback` hooks, then verification that stable is healthy. Idempotent: it reads how far an
 * earlier attempt got from the log and does only the rest, so a second run (or a run after a
 * crash half way through) ends in the same state.
 */
import { formatDuration } from '../duration.js';
import { ExitCode } from '../errors.js';
import { measureGates } from '../gates/measure.js';
import { EventType, parseHookId, type RollbackTrigger } from './events.js';
import type { RolloutOutcome } from './outcome.js';
import { actionVars, record, type RolloutRuntime } from './runtime.js';
import { sleep } from '../sleep.js';
import { applyWeight, hookSpec, perform, runHook } from './steps.js';
import { gatesNamed, recordMeasurements } from './bake.js';

export interface RollbackRequest {
  trigger: RollbackTrigger;
  reason: string;
  by: string;
  severity?: string;
}

/** Share of `rollback.timeout` compensations may use; the rest is kept for restoring traffic. */
const COMPENSATION_SHARE = 0.5;

/** Aborts on a signal (second Ctrl-C) or when `ms` have passed, whichever first. */
function boundedSignal(hard: AbortSignal, ms: number): AbortSignal {
  return AbortSignal.any([hard, AbortSignal.timeout(Math.max(1, Math.round(ms)))]);
}

export async function rollBack(rt: RolloutRuntime, request: RollbackRequest): Promise<RolloutOutcome> {
  // Two different stops: `hard` is a person (second Ctrl-C) or a lost lock — leave at once, recorded;
  // the time bound only cuts compensations, hooks and verification short: traffic is always restored.
  const hard = rt.hardStop.signal;
  const startedAt = Date.now();
  const deadline = startedAt + rt.plan.rollback.timeoutMs;
  const view = rt.log.view;
  const fromWeight = Math.max(view.weight, view.weightUncertain ?? 0);
  await recordRollbackIntent(rt, request);
  const reason = view.rollback?.reason ?? request.reason;
  const incomplete: string[] = [];

  // 1. Compensations, newest first; an execution whose outcome is unknown is compensated too.
  const compensationSignal = boundedSignal(hard, rt.plan.rollback.timeoutMs * COMPENSATION_SHARE);
  for (const id of [...view.executedHooks].reverse()) {
    if (view.compensated.has(id) || hard.aborted) continue;
    const parsed = parseHookId(id);
    const spec = parsed ? hookSpec(rt, parsed.point, parsed.index) : undefined;
    if (!spec?.undo) continue;
    if (compensationSignal.aborted) {
      incomplete.push(`${id}: not compensated within the rollback time bound`);
      continue;
    }
    await record(rt, EventType.compensationStarted, { hook: id });
    const vars = actionVars(rt, parsed?.step !== undefined ? { step: String(parsed.step) } : {});
    const result = await perform(rt, spec.undo, vars, compensationSignal);
    await record(rt, EventType.compensationFinished, { hook: id, ok: result.ok, action: result });
    if (!result.ok) incomplete.push(`${id}: ${result.error ?? 'failed'}`);
  }
  if (hard.aborted) return interrupted(rt, view.step, fromWeight, reason);

  // 2. Traffic back to stable: at least one attempt, retried until the rollback's time bound.
  const restored = await applyWeight(rt, 0, { step: view.step, rollback: true, signal: hard, deadline: Math.max(deadline, Date.now() + 1) });
  if (hard.aborted) return interrupted(rt, view.step, fromWeight, reason);
  if (!restored.ok) {
    const where = fromWeight > 0 ? `the canary may still receive ${fromWeight}% of traffic` : 'traffic state unknown';
    const why = `traffic could not be restored: ${restored.error ?? 'the traffic action failed'}; ${where}`;
    await record(rt, EventType.rollbackFailed, { reason: why, weight: fromWeight, incomplete });
    return { status: 'failed', step: view.step, weight: fromWeight, reason: why, exitCode: ExitCode.rollbackFailed };
  }

  // 3. onRollback hooks (notifications etc.); failures are recorded, they do not undo the rollback.
  const rest = (): AbortSignal => boundedSignal(hard, Math.max(1_000, deadline - Date.now()));
  const done = view.rollback?.onRollbackDone ?? new Set<string>();
  for (const [index, hook] of rt.plan.hooks.onRollback.entries()) {
    if (done.has(`onRollback[${index}]`) || hard.aborted) continue;
    const result = await runHook(rt, 'onRollback', index, hook, undefined, rest());
    if (!result.ok) incomplete.push(`onRollback[${index}]: ${result.error ?? 'failed'}`);
  }
  if (hard.aborted) return interrupted(rt, view.step, 0, reason);

  // 4. Verify that stable is healthy now.
  let verified: boolean | undefined;
  const verify = rt.plan.rollback.verify;
  if (verify) verified = await verifyStable(rt, verify.gates, verify.withinMs, boundedSignal(hard, verify.withinMs + rt.plan.prometheus.timeoutMs));
  if (hard.aborted) return interrupted(rt, view.step, 0, reason);

  const problems = [...incomplete, ...(verified === false ? [`stable did not pass ${verify!.gates.join(', ')} within ${formatDuration(verify!.withinMs)}`] : [])];
  await record(rt, EventType.rolledBack, { reason, trigger: view.rollback?.trigger ?? request.trigger, verified: verified ?? null, incomplete: problems });
  if (problems.length > 0) {
    return { status: 'rolled_back', step: view.step, weight: 0, reason: `${reason}; rollback incomplete: ${problems.join('; ')}`, exitCode: ExitCode.rollbackFailed };
  }
  return { status: 'rolled_back', step: view.step, weight: 0, reason, exitCode: request.trigger === 'signal' ? ExitCode.interrupted : ExitCode.failed };
}

/**
 * Records `rollback.started` once per rollout, at the first moment it is decided (the first Ctrl-C
 * records it at once), so a second Ctrl-C's `rollout.aborted` always follows it and a resume can
 * only finish the rollback, never go forward.
 */
export function recordRollbackIntent(rt: RolloutRuntime, request: RollbackRequest): Promise<unknown> {
  if (rt.rollbackIntent) return rt.rollbackIntent;
  const view = rt.log.view;
  if (view.rollback) return Promise.resolve();
  const fromWeight = Math.max(view.weight, view.weightUncertain ?? 0);
  rt.rollbackIntent = record(rt, EventType.rollbackStarted, {
    trigger: request.trigger,
    reason: request.reason,
    by: request.by,
    ...(request.severity ? { severity: request.severity } : {}),
    fromWeight,
    step: view.step,
  });
  return rt.rollbackIntent;
}

/** Measures the verification gates until all pass or `withinMs` runs out. */
async function verifyStable(rt: RolloutRuntime, names: string[], withinMs: number, signal: AbortSignal): Promise<boolean> {
  const gates = gatesNamed(rt, names, { weight: 0 });
  const deadline = Date.now() + withinMs;
  const pauseMs = Math.min(rt.plan.analysis.intervalMs, 5_000);
  let round = 0;
  for (;;) {
    round += 1;
    const measurements = await measureGates(rt.prometheus, gates, { signal });
    if (signal.aborted) {
      if (!rt.hardStop.signal.aborted) await record(rt, EventType.verification, { passed: false, gates: names, rounds: round, reason: 'not verified within the time bound' });
      return false;
    }
    await recordMeasurements(rt, measurements, { phase: 'verify', round });
    const passed = measurements.every((m) => m.verdict === 'pass' || m.severity === 'warning');
    if (passed || Date.now() + pauseMs > deadline) {
      await record(rt, EventType.verification, { passed, gates: names, rounds: round });
      return passed;
    }
    await sleep(pauseMs, signal);
  }
}

/** Second interrupt or the rollback's time bound: leave a record saying exactly where traffic is. */
export async function interrupted(rt: RolloutRuntime, step: number, weight: number, reason: string): Promise<RolloutOutcome> {
  const view = rt.log.view;
  const where = view.weightUncertain !== undefined ? `a change to ${view.weightUncertain}% was under way (outcome unknown); last confirmed weight ${view.weight}%` : `canary weight ${view.weight}%`;
  const why = `stopped before the rollback finished (${reason}); ${where}; finish with \`rollgate rollback ${rt.rolloutId}\` or \`rollgate rollout resume ${rt.rolloutId}\``;
  await record(rt, EventType.aborted, { reason: why, weight: view.weight, weightUncertain: view.weightUncertain ?? null });
  return { status: 'aborted', step, weight: view.weight ?? weight, reason: why, exitCode: ExitCode.interrupted };
}
