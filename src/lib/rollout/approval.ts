/**
 * Waiting for a human. The decision can come from the terminal prompt (when there is one) or from
 * `rollgate rollout approve` in any other terminal or CI job (through the state store); whichever
 * comes first wins. With `--on-approval exit` the runner records the pause and leaves.
 */
import { EventType } from './events.js';
import { PauseRequired, RollbackRequired } from './control.js';
import { record, type ApprovalAnswer, type RolloutRuntime } from './runtime.js';
import { sleep } from '../sleep.js';
import { formatDuration } from '../duration.js';
import type { RolloutEvent } from '../state/types.js';

/**
 * Each request is keyed by the seq of its `approval.requested` event, so an approval answers one
 * request only (a step can ask twice: once for an inconclusive bake, once for its planned approval).
 * A resumed runner reuses the pending request's key, so an approval given while it was gone counts.
 */
export async function awaitApproval(rt: RolloutRuntime, step: number, weight: number, reason: string, planned = false): Promise<void> {
  let key: number;
  // A request left open by an earlier runner: its event is shown again (Ui and --json alike) once
  // this runner waits too, so a resumed rollout says what it waits for, since when, and how to approve.
  let reopened: RolloutEvent | undefined;
  if (rt.pendingApproval?.step === step && rt.pendingApproval.planned === planned) {
    key = rt.pendingApproval.key;
    reopened = rt.pendingApproval.request;
  } else {
    const requested = await record(rt, EventType.approvalRequested, { step, weight, reason, planned });
    key = requested.seq;
  }
  rt.pendingApproval = undefined;

  const stored = await rt.store.getApproval(rt.rolloutId, key);
  if (stored) return grant(rt, step, key, stored.decision, stored.by, stored.comment);

  if (rt.options.dryRun) return grant(rt, step, key, 'approve', `${rt.operator} (dry run)`, 'approved automatically in a dry run');
  if (reopened) rt.onEvent(reopened);

  // --on-approval exit is honoured on a terminal too: the person asked for it explicitly.
  if (rt.options.onApproval === 'exit') {
    throw new PauseRequired(`waiting for approval of step ${step + 1} (${weight}%): ${reason}`);
  }

  const waiting = new AbortController();
  const onStop = (): void => waiting.abort();
  rt.stop.signal.addEventListener('abort', onStop, { once: true });
  try {
    const fromPrompt = rt.prompter ? promptLoop(rt, step, weight, reason, waiting.signal) : new Promise<never>(() => undefined);
    const fromStore = pollStore(rt, key, waiting.signal);
    const decision = await Promise.race([fromPrompt, fromStore]);
    waiting.abort();
    if (decision === undefined) {
      if (rt.stop.signal.aborted) return; // the caller sees the stop request
      throw new PauseRequired(`approval of step ${step + 1} not given within ${formatDuration(rt.options.approvalTimeoutMs)}`);
    }
    return grant(rt, step, key, decision.decision, decision.by, decision.comment);
  } finally {
    rt.stop.signal.removeEventListener('abort', onStop);
  }
}

interface Decision {
  decision: 'approve' | 'rollback';
  by: string;
  comment?: string;
}

async function promptLoop(rt: RolloutRuntime, step: number, weight: number, reason: string, signal: AbortSignal): Promise<Decision | undefined> {
  let answer: ApprovalAnswer;
  try {
    answer = await rt.prompter!({ step, weight, reason, rolloutId: rt.rolloutId }, signal);
  } catch {
    return new Promise<never>(() => undefined); // prompt cancelled: the store poll decides
  }
  if (answer === 'wait') return new Promise<never>(() => undefined);
  return { decision: answer, by: rt.operator, comment: 'answered at the terminal prompt' };
}

async function pollStore(rt: RolloutRuntime, key: number, signal: AbortSignal): Promise<Decision | undefined> {
  const deadline = Date.now() + rt.options.approvalTimeoutMs;
  while (!signal.aborted && Date.now() < deadline) {
    await sleep(Math.min(rt.options.pollMs, Math.max(0, deadline - Date.now())), signal);
    if (signal.aborted) break;
    const stored = await rt.store.getApproval(rt.rolloutId, key);
    if (stored) return { decision: stored.decision, by: stored.by, ...(stored.comment ? { comment: stored.comment } : {}) };
  }
  return undefined;
}

async function grant(rt: RolloutRuntime, step: number, key: number, decision: 'approve' | 'rollback', by: string, comment?: string): Promise<void> {
  await record(rt, EventType.approvalGranted, { step, key, decision, by, ...(comment ? { comment } : {}) });
  if (decision === 'rollback') throw new RollbackRequired('approval', `rolled back at the approval of step ${step + 1} by ${by}`, by);
}

/**
 * On resume: an approval given while no runner was waiting is recorded now, so the evidence shows
 * it even when the step is re-baked and does not ask again. Returns true when it was settled.
 */
export async function settlePendingApproval(rt: RolloutRuntime, pending: { step: number; key: number; planned: boolean }): Promise<boolean> {
  const stored = await rt.store.getApproval(rt.rolloutId, pending.key);
  if (!stored) return false;
  await grant(rt, pending.step, pending.key, stored.decision, stored.by, stored.comment);
  return true;
}
