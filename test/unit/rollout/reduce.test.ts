import { describe, expect, it } from 'vitest';
import { EventType } from '../../../src/lib/rollout/events.js';
import { applyEvent, createView, recordedFailure, reduceEvents, stepLimits } from '../../../src/lib/rollout/reduce.js';
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
    // The open request is kept whole: a resumed runner shows it again rather than recording another.
    expect(view.awaitingApproval).toEqual({ step: 2, key: 4, reason: 'asks', planned: true, request: expect.objectContaining({ seq: 4, type: EventType.approvalRequested }) });
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

  it('applying events one at a time gives the same view as reducing the whole log', () => {
    const events = log(
      [EventType.started, { service: 'checkout', plan: { service: 'checkout', steps: [] }, dryRun: true }],
      [EventType.stepStarted, { step: 0, weight: 10 }],
      [EventType.weightApplied, { step: 0, weight: 10, ok: true }],
      [EventType.approvalRequested, { step: 0, weight: 10, reason: 'plan', planned: true }],
      [EventType.paused, { reason: 'waiting for approval of step 1' }],
      [EventType.resumed, {}],
      [EventType.approvalGranted, { step: 0, key: 4, decision: 'approve', by: 'a@b' }],
    );
    const view = createView('r1');
    for (const event of events) applyEvent(view, event);
    const whole = reduceEvents(events);
    expect(view).toEqual(whole);
    expect(view).toMatchObject({ dryRun: true, status: 'running', reason: undefined, lastDecision: { step: 0, by: 'a@b' } });
    expect(view.approvedSteps.has(0)).toBe(true);
  });

  it('rebuilds each step\'s limit counters from its recorded bake measurements (a failure is never forgotten)', () => {
    const plan = { service: 'checkout', steps: [], analysis: { intervalMs: 1000, failureLimit: 1, inconclusiveLimit: 0, onInconclusive: 'rollback', errorLimit: 2, onError: 'rollback', errorTimeoutMs: 1000 } };
    const m = (step: number, verdict: string, phase = 'bake') => [EventType.measurement, { step, phase, gate: 'error-rate', verdict, severity: 'critical', reason: `error rate ${verdict}` }] as [string, Record<string, unknown>];
    const base = [[EventType.started, { service: 'checkout', plan }] as [string, Record<string, unknown>], m(0, 'pass'), m(1, 'fail'), m(1, 'pass')];
    const once = reduceEvents(log(...base));
    expect(stepLimits(once, 1).counter.count('error-rate')).toMatchObject({ failures: 1, passes: 1 });
    expect(recordedFailure(once, 1)).toBeUndefined(); // 1 failure, limit 1: not over it
    // Verification measurements (phase verify) and other steps do not count.
    const twice = reduceEvents(log(...base, m(1, 'fail', 'verify'), m(0, 'fail'), m(1, 'fail')));
    expect(stepLimits(twice, 1).counter.count('error-rate').failures).toBe(2);
    expect(recordedFailure(twice, 1)).toMatch(/gate error-rate failed.*2 failures, limit 1/);
    expect(recordedFailure(twice, 0)).toBeUndefined();
  });

  it('the end of a hold resets consecutive errors, as the bake did when it recorded it', () => {
    const plan = { service: 'checkout', steps: [], analysis: { intervalMs: 1000, failureLimit: 0, inconclusiveLimit: 0, onInconclusive: 'rollback', errorLimit: 1, onError: 'hold', errorTimeoutMs: 1000 } };
    const error = [EventType.measurement, { step: 0, phase: 'bake', gate: 'g', verdict: 'error', severity: 'critical' }] as [string, Record<string, unknown>];
    const view = reduceEvents(log([EventType.started, { plan }], error, error, [EventType.analysisHold, { step: 0, holding: false }]));
    expect(stepLimits(view, 0).counter.count('g')).toMatchObject({ errors: 2, consecutiveErrors: 0 });
  });

  it('a promoted rollout keeps no reason from an earlier pause; a rollback keeps what it left undone', () => {
    const promoted = reduceEvents(log([EventType.paused, { reason: 'waiting for approval of step 2' }], [EventType.promoted, { warnings: [] }]));
    expect(promoted).toMatchObject({ status: 'promoted', reason: undefined, awaitingApproval: undefined });
    const incomplete = reduceEvents(log([EventType.rollbackStarted, { reason: 'gate', trigger: 'gate' }], [EventType.rolledBack, { reason: 'gate', incomplete: ['beforeRollout[0]: failed'] }]));
    expect(incomplete.rollback?.incomplete).toEqual(['beforeRollout[0]: failed']);
    const aborted = reduceEvents(log([EventType.aborted, { reason: 'second Ctrl-C' }], [EventType.resumed, {}]));
    expect(aborted).toMatchObject({ status: 'aborted', aborted: true });
  });
});
