/**
 * The checkpointed units of the saga: applying a weight and running a hook. Each records its
 * intent before acting and its outcome after, so a crash in between is visible in the log.
 */
import type { ActionResult } from '../actions/types.js';
import type { ActionSpec, HookSpec } from '../plan/types.js';
import { EventType, hookId, type HookPoint } from './events.js';
import { actionVars, record, type RolloutRuntime } from './runtime.js';
import { sleep } from '../sleep.js';
import { DRY_RUN_COMMAND } from './dry-run.js';

const DRY_RUN_RESULT = (kind: 'exec' | 'http'): ActionResult => ({
  ok: true,
  kind,
  command: [DRY_RUN_COMMAND],
  stdout: '',
  stderr: '',
  durationMs: 0,
  attempts: 0,
  timedOut: false,
});

/** Runs an action unless this is a dry run. */
export async function perform(rt: RolloutRuntime, spec: ActionSpec, vars: Record<string, string>, signal: AbortSignal): Promise<ActionResult> {
  if (rt.options.dryRun) return DRY_RUN_RESULT(spec.exec ? 'exec' : 'http');
  return rt.runAction(spec, vars, { signal, cwd: rt.cwd, env: rt.env, secrets: rt.secrets });
}


/**
 * Sets the canary weight through the plan's traffic action. During a rollback the action is
 * retried beyond its own retries (with backoff) for as long as `deadline` allows: restoring
 * traffic is the one thing that must not give up early.
 */
export async function applyWeight(
  rt: RolloutRuntime,
  weight: number,
  context: { step: number; rollback?: boolean; signal: AbortSignal; deadline?: number },
): Promise<ActionResult> {
  const rollback = context.rollback === true;
  rt.weightAtRisk = Math.max(rt.weightAtRisk, weight);
  await record(rt, EventType.weightApplying, { weight, step: context.step, rollback });
  const vars = actionVars(rt, { weight: String(weight), step: String(context.step) });
  let result = await perform(rt, rt.plan.traffic, vars, context.signal);
  let attempt = 1;
  while (!result.ok && rollback && context.deadline !== undefined && !context.signal.aborted) {
    const backoff = Math.min(500 * 2 ** (attempt - 1), 5_000);
    if (Date.now() + backoff >= context.deadline) break;
    await sleep(backoff, context.signal);
    attempt += 1;
    result = await perform(rt, rt.plan.traffic, vars, context.signal);
  }
  if (result.ok) rt.weightAtRisk = weight;
  await record(
    rt,
    EventType.weightApplied,
    { weight, step: context.step, rollback, ok: result.ok, rounds: attempt, action: result, ...(rt.options.dryRun ? { dryRun: true } : {}) },
  );
  return result;
}

/** Runs one hook at a hook point and records it; returns the action result. */
export async function runHook(
  rt: RolloutRuntime,
  point: HookPoint,
  index: number,
  hook: HookSpec,
  step: number | undefined,
  signal: AbortSignal,
): Promise<ActionResult> {
  const id = hookId(point, index, step);
  await record(rt, EventType.hookStarted, { hook: id, point, name: hook.name, hasUndo: hook.undo !== undefined, ...(step !== undefined ? { step } : {}) });
  const vars = actionVars(rt, step !== undefined ? { step: String(step) } : {});
  const result = await perform(rt, hook, vars, signal);
  await record(rt, EventType.hookFinished, { hook: id, point, name: hook.name, ok: result.ok, action: result });
  return result;
}

/** The hook spec an id refers to, from the plan snapshot. */
export function hookSpec(rt: RolloutRuntime, point: HookPoint, index: number): HookSpec | undefined {
  return rt.plan.hooks[point][index];
}
