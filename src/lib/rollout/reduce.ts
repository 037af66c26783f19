/**
 * Folds a rollout's event log into what it means now: status, step, weight, what was executed
 * (so it can be compensated) and how far a rollback got. `rollout status`, `resume` and
 * `rollback` all use this, so the log stays the single source of truth.
 */
import type { ResolvedPlan } from '../plan/types.js';
import type { RolloutEvent, RolloutStatus } from '../state/types.js';
import { EventType } from './events.js';

export interface RolloutView {
  rolloutId: string;
  service: string;
  plan: ResolvedPlan | undefined;
  status: RolloutStatus;
  /** 0-based index of the step being worked on; -1 before the first step started. */
  step: number;
  /** Last weight known to be applied (0 before any). */
  weight: number;
  /** A weight change was started but its outcome was not recorded (crash in between). */
  weightUncertain: number | undefined;
  completedSteps: Set<number>;
  /** Steps whose bake (analysis) finished; an approval may still be pending. */
  bakedSteps: Set<number>;
  /** Hook executions that started, in order (each may need compensation). */
  executedHooks: string[];
  /** Hook executions that finished successfully. */
  finishedHooks: Set<string>;
  compensated: Set<string>;
  /** The open approval request, if the rollout is waiting for one (key = seq of its request event). */
  awaitingApproval: { step: number; key: number; reason: string; planned: boolean } | undefined;
  approvedSteps: Set<number>;
  rollback:
    | {
        reason: string;
        trigger: string;
        weightRestored: boolean;
        onRollbackDone: Set<string>;
        verified: boolean | undefined;
      }
    | undefined;
  reason: string | undefined;
  startedAt: string | undefined;
  updatedAt: string | undefined;
  lastEvent: RolloutEvent | undefined;
}

const TERMINAL: ReadonlySet<RolloutStatus> = new Set(['promoted', 'rolled_back', 'failed']);

export function isTerminal(status: RolloutStatus): boolean {
  return TERMINAL.has(status);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function reduceEvents(events: readonly RolloutEvent[]): RolloutView {
  const plannedRequests = new Set<number>();
  const first = events[0];
  const view: RolloutView = {
    rolloutId: first?.rolloutId ?? '',
    service: '',
    plan: undefined,
    status: 'running',
    step: -1,
    weight: 0,
    weightUncertain: undefined,
    completedSteps: new Set(),
    bakedSteps: new Set(),
    executedHooks: [],
    finishedHooks: new Set(),
    compensated: new Set(),
    awaitingApproval: undefined,
    approvedSteps: new Set(),
    rollback: undefined,
    reason: undefined,
    startedAt: first?.at,
    updatedAt: events.at(-1)?.at,
    lastEvent: events.at(-1),
  };
  for (const event of events) {
    const d = event.data;
    switch (event.type) {
      case EventType.started:
        view.plan = d.plan as ResolvedPlan;
        view.service = str(d.service) ?? view.plan?.service ?? '';
        break;
      case EventType.resumed:
        if (view.status === 'paused' || view.status === 'aborted') view.status = view.rollback ? 'aborted' : 'running';
        break;
      case EventType.stepStarted:
        view.step = num(d.step) ?? view.step;
        view.status = 'running';
        break;
      case EventType.weightApplying: {
        // Until a change is confirmed, the highest weight that may be live is what matters.
        const weight = num(d.weight);
        if (weight !== undefined) view.weightUncertain = Math.max(view.weightUncertain ?? weight, weight);
        break;
      }
      case EventType.weightApplied:
        // A failed or timed-out change may still have been half applied by the router: stay uncertain.
        view.weightUncertain = d.ok === true ? undefined : view.weightUncertain;
        if (d.ok === true) {
          view.weight = num(d.weight) ?? view.weight;
          if (d.rollback === true && view.rollback) view.rollback.weightRestored = true;
        }
        break;
      case EventType.hookStarted: {
        const id = str(d.hook);
        if (!id) break;
        if (d.point === 'onRollback') break;
        if (!view.executedHooks.includes(id)) view.executedHooks.push(id);
        break;
      }
      case EventType.hookFinished: {
        const id = str(d.hook);
        if (!id) break;
        if (d.point === 'onRollback') {
          if (view.rollback) view.rollback.onRollbackDone.add(id);
        } else if (d.ok === true) view.finishedHooks.add(id);
        break;
      }
      case EventType.stepCompleted: {
        const step = num(d.step);
        if (step !== undefined) view.completedSteps.add(step);
        break;
      }
      case EventType.bakeCompleted: {
        const step = num(d.step);
        if (step !== undefined) view.bakedSteps.add(step);
        break;
      }
      case EventType.approvalRequested:
        view.awaitingApproval = { step: num(d.step) ?? view.step, key: event.seq, reason: str(d.reason) ?? '', planned: d.planned === true };
        if (d.planned === true) plannedRequests.add(event.seq);
        break;
      case EventType.approvalGranted: {
        const step = num(d.step);
        if (step !== undefined && d.decision === 'approve') {
          // A planned approval lets the step go on; any other (inconclusive, failed without auto
          // rollback) is a person deciding that the bake is over.
          if (plannedRequests.has(num(d.key) ?? -1)) view.approvedSteps.add(step);
          else view.bakedSteps.add(step);
        }
        if (view.awaitingApproval?.key === num(d.key)) view.awaitingApproval = undefined;
        if (view.status === 'paused') view.status = 'running';
        break;
      }
      case EventType.paused:
        view.status = 'paused';
        view.reason = str(d.reason);
        break;
      case EventType.rollbackStarted:
        view.rollback ??= {
          reason: str(d.reason) ?? 'rollback',
          trigger: str(d.trigger) ?? 'unknown',
          weightRestored: false,
          onRollbackDone: new Set(),
          verified: undefined,
        };
        view.reason = view.rollback.reason;
        view.awaitingApproval = undefined;
        if (view.status === 'paused') view.status = 'running';
        break;
      case EventType.compensationFinished: {
        const id = str(d.hook);
        if (id && d.ok === true) view.compensated.add(id);
        break;
      }
      case EventType.verification:
        if (view.rollback) view.rollback.verified = d.passed === true;
        break;
      case EventType.promoted:
        view.status = 'promoted';
        break;
      case EventType.rolledBack:
        view.status = 'rolled_back';
        view.reason = str(d.reason) ?? view.reason;
        break;
      case EventType.rollbackFailed:
        view.status = 'failed';
        view.reason = str(d.reason) ?? view.reason;
        break;
      case EventType.aborted:
        view.status = 'aborted';
        view.reason = str(d.reason) ?? view.reason;
        break;
      default:
        break;
    }
  }
  return view;
}
