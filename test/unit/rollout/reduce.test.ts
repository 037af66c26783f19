import { describe, expect, it } from 'vitest';
import { EventType } from '../../../src/lib/rollout/events.js';
import { reduceEvents } from '../../../src/lib/rollout/reduce.js';
import type { RolloutEvent } from '../../../src/lib/state/types.js';

function log(...entries: Array<[string, Record<string, unknown>]>): RolloutEvent[] {
  return entries.map(([type, data], i) => ({ seq: i + 1, rolloutId: 'r1', at: `2026-11-23T00:00:0${i % 10}.000Z`, type, prev: '0'.repeat(64), hash: '0'.repeat(64), data }));
}

describe('reduceEvents', () => {
  it('tracks steps, weights and executed hooks', () => {
    const view = reduceEvents(
      log(
        [EventType.started, { service: 'checkout', plan: { service: 'checkout', steps: [] } }],
        [EventType.hookStarted, { hook: 'beforeRollout[0]', point: 'beforeRollout' }],
        [EventType.hookFinished, { hook: 'beforeRollout[0]', point: 'beforeRollout', ok: true }],
        [EventType.stepStarted, { step: 0, weight: 10 }],
        [EventType.weightApplying, { step: 0, weight: 10 }],
        [EventType.weightApplied, { step: 0, weight: 10, ok: true }],
        [EventType.bakeCompleted, { step: 0 }],
        [EventType.stepCompleted, { step: 0, weight: 10 }],
        [EventType.stepStarted, { step: 1, weight: 25 }],
        [EventType.weightApplying, { step: 1, weight: 25 }],
      ),
    );
    expect(view).toMatchObject({ service: 'checkout', status: 'running', step: 1, weight: 10, weightUncertain: 25 });
    expect([...view.completedSteps]).toEqual([0]);
    expect(view.executedHooks).toEqual(['beforeRollout[0]']);
    expect(view.finishedHooks.has('beforeRollout[0]')).toBe(true);
  });

  it('an approval answers only its own request; planned approvals mark the step', () => {
    const events = log(
      [EventType.started, { service: 's' }],
      [EventType.approvalRequested, { step: 2, weight: 50, reason: 'inconclusive', planned: false }],
      [EventType.approvalGranted, { step: 2, key: 2, decision: 'approve', by: 'a@b' }],
      [EventType.approvalRequested, { step: 2, weight: 50, reason: 'asks', planned: true }],
    );
    const view = reduceEvents(events);
    expect(view.awaitingApproval).toEqual({ step: 2, key: 4, reason: 'asks', planned: true });
    expect(view.approvedSteps.has(2)).toBe(false);
    // the approved inconclusive pause ended the bake of step 2
    expect(view.bakedSteps.has(2)).toBe(true);
    const approved = reduceEvents([...events, ...log([EventType.approvalGranted, { step: 2, key: 4, decision: 'approve', by: 'a@b' }]).map((e) => ({ ...e, seq: 5 }))]);
    expect(approved.awaitingApproval).toBeUndefined();
    expect(approved.approvedSteps.has(2)).toBe(true);
  });

  it('follows a rollback to its end, and a failed one', () => {
    const base = log(
      [EventType.started, { service: 's' }],
      [EventType.weightApplied, { weight: 25, ok: true }],
      [EventType.rollbackStarted, { reason: 'gate error-rate failed', trigger: 'gate' }],
      [EventType.compensationFinished, { hook: 'beforeRollout[0]', ok: true }],
      [EventType.weightApplied, { weight: 0, ok: true, rollback: true }],
    );
    const mid = reduceEvents(base);
    expect(mid.rollback).toMatchObject({ reason: 'gate error-rate failed', weightRestored: true });
    expect(mid.compensated.has('beforeRollout[0]')).toBe(true);
    expect(mid.weight).toBe(0);
    expect(reduceEvents([...base, ...log([EventType.rolledBack, { reason: 'gate error-rate failed' }]).map((e) => ({ ...e, seq: 6 }))]).status).toBe('rolled_back');
    expect(reduceEvents([...base, ...log([EventType.rollbackFailed, { reason: 'router down' }]).map((e) => ({ ...e, seq: 6 }))])).toMatchObject({ status: 'failed', reason: 'router down' });
  });

  it('paused, then resumed', () => {
    const paused = log([EventType.started, { service: 's' }], [EventType.paused, { reason: 'waiting' }]);
    expect(reduceEvents(paused).status).toBe('paused');
    expect(reduceEvents([...paused, ...log([EventType.resumed, {}]).map((e) => ({ ...e, seq: 3 }))]).status).toBe('running');
  });
});
