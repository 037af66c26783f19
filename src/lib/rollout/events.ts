/**
 * The event catalogue of a rollout. The engine appends these to the hash-chained log; status,
 * resume and reports are all derived from the log (see reduce.ts), never from a side record.
 *
 * Saga rule: an action is recorded as started BEFORE it runs and as finished after, so a crash
 * between the two leaves a record saying the outcome is unknown (and compensation runs for it).
 */
export const EventType = {
  started: 'rollout.started',
  resumed: 'rollout.resumed',
  stepStarted: 'step.started',
  weightApplying: 'weight.applying',
  weightApplied: 'weight.applied',
  hookStarted: 'hook.started',
  hookFinished: 'hook.finished',
  measurement: 'measurement',
  analysisHold: 'analysis.hold',
  bakeCompleted: 'bake.completed',
  stepCompleted: 'step.completed',
  approvalRequested: 'approval.requested',
  approvalGranted: 'approval.decided',
  paused: 'rollout.paused',
  abortRequested: 'abort.requested',
  rollbackStarted: 'rollback.started',
  compensationStarted: 'compensation.started',
  compensationFinished: 'compensation.finished',
  verification: 'rollback.verification',
  promoted: 'rollout.promoted',
  rolledBack: 'rollout.rolled_back',
  rollbackFailed: 'rollback.failed',
  aborted: 'rollout.aborted',
  /** `rollgate rollback` finishing a rollback that ended incomplete (failed compensations, unverified stable). */
  rollbackRetried: 'rollback.retried',
  /** A dead runner's lock on a finished rollout was taken over (and released) by another process. */
  lockTakenOver: 'lock.taken_over',
} as const;
export type EventTypeName = (typeof EventType)[keyof typeof EventType];

/** Hook points, in the order they happen. */
export type HookPoint = 'beforeRollout' | 'beforeStep' | 'afterStep' | 'afterPromotion' | 'onRollback';

/** Stable id of one execution of a hook: `beforeRollout[0]`, `beforeStep[1]@2` (step index after @). */
export function hookId(point: HookPoint, index: number, step?: number): string {
  return step === undefined ? `${point}[${index}]` : `${point}[${index}]@${step}`;
}

export function parseHookId(id: string): { point: HookPoint; index: number; step?: number } | undefined {
  const match = /^(beforeRollout|beforeStep|afterStep|afterPromotion|onRollback)\[(\d+)\](?:@(\d+))?$/.exec(id);
  if (!match) return undefined;
  return { point: match[1] as HookPoint, index: Number(match[2]), ...(match[3] !== undefined ? { step: Number(match[3]) } : {}) };
}

/** What triggered a rollback; recorded in the evidence. */
export type RollbackTrigger = 'gate' | 'inconclusive' | 'provider-error' | 'action' | 'approval' | 'abort' | 'signal' | 'takeover';
