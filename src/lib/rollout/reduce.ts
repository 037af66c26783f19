/**
 * Folds a rollout's event log into what it means now: status, step, weight, what was executed
 * (so it can be compensated), how far a rollback got, and the per-step limit counters. One event
 * at a time (`applyEvent`), so a RolloutLog keeps its view current as it appends; `reduceEvents`
 * is the same fold over a whole log. The log stays the single source of truth.
 */
import { LimitCounter } from '../analysis/limits.js';
import type { Measurement } from '../gates/types.js';
import type { AnalysisConfig, ResolvedPlan } from '../plan/types.js';
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
  awaitingApproval: { step: number; key: number; reason: string; planned: boolean; request: RolloutEvent } | undefined;
  approvedSteps: Set<number>;
  rollback:
    | {
        reason: string;
        trigger: string;
        weightRestored: boolean;
        onRollbackDone: Set<string>;
        verified: boolean | undefined;
        /** What the last `rollout.rolled_back` said was left undone (failed compensations, unverified stable). */
        incomplete: string[];
      }
    | undefined;
  reason: string | undefined;
  /** A dry run never changed traffic: never the service's current state. */
  dryRun: boolean;
  /** A runner stopped hard (`rollout.aborted`) since the last rollback intent: resume must never go forward. */
  aborted: boolean;
  /** The last approval decision recorded (for "already approved by X at T"). */
  lastDecision: { step: number; key: number; decision: string; by: string; at: string } | undefined;
  /** Per step: the bake's limit counters, rebuilt from the recorded measurements, so a failure is never forgotten. */
  limits: Map<number, StepLimits>;
  startedAt: string | undefined;
  updatedAt: string | undefined;
  lastEvent: RolloutEvent | undefined;
  /** Seq of planned approval requests (a decision on one lets its step go on). */
  plannedRequests: Set<number>;
}

export interface StepLimits {
  counter: LimitCounter;
  /** Gates measured in the step's bake, in the order first seen. */
  gates: string[];
  /** The last recorded measurement of each gate. */
  last: Map<string, Measurement>;
}

/** Counting only: the decision uses the plan's limits, and a log read without a plan still counts. */
const NO_LIMITS: AnalysisConfig = { intervalMs: 0, failureLimit: 0, inconclusiveLimit: 0, onInconclusive: 'rollback', errorLimit: 0, onError: 'rollback', errorTimeoutMs: 0 };

/** The step's counters (created empty when the step has no measurement yet). */
export function stepLimits(view: RolloutView, step: number): StepLimits {
  let limits = view.limits.get(step);
  if (!limits) {
    limits = { counter: new LimitCounter(view.plan?.analysis ?? NO_LIMITS), gates: [], last: new Map() };
    view.limits.set(step, limits);
  }
  return limits;
}

/**
 * A failure over its limit already in the log for this step (a crash, or a store write failure,
 * between the failing measurement and the rollback): the step has failed, whatever happens next.
 */
export function recordedFailure(view: RolloutView, step: number): string | undefined {
  const limits = view.limits.get(step);
  if (!limits) return undefined;
  const decision = limits.counter.decide([...limits.last.values()].filter((m) => m.verdict === 'fail'));
  return decision.kind === 'fail' ? decision.reason : undefined;
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

export function createView(rolloutId = ''): RolloutView {
  return {
    rolloutId,
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
    dryRun: false,
    aborted: false,
    lastDecision: undefined,
    limits: new Map(),
    startedAt: undefined,
    updatedAt: undefined,
    lastEvent: undefined,
    plannedRequests: new Set(),
  };
}

export function reduceEvents(events: readonly RolloutEvent[]): RolloutView {
  const view = createView(events[0]?.rolloutId ?? '');
  for (const event of events) applyEvent(view, event);
  return view;
}

/** Applies one event to the view (in place): the only place that says what an event means. */
export function applyEvent(view: RolloutView, event: RolloutEvent): void {
  view.rolloutId ||= event.rolloutId;
  view.startedAt ??= event.at;
  view.updatedAt = event.at;
  view.lastEvent = event;
  const plannedRequests = view.plannedRequests;
  {
    const d = event.data;
    switch (event.type) {
      case EventType.started:
        view.plan = d.plan as ResolvedPlan;
        view.service = str(d.service) ?? view.plan?.service ?? '';
        view.dryRun = d.dryRun === true;
        break;
      case EventType.resumed:
        if (view.status === 'paused' || view.status === 'aborted') {
          view.status = view.rollback || view.aborted ? 'aborted' : 'running';
          // The pause is over: its reason ("waiting for approval ...") no longer describes the rollout.
          if (!view.rollback && !view.aborted) view.reason = undefined;
        }
        break;
      case EventType.measurement: {
        const step = num(d.step);
        const gate = str(d.gate);
        if (d.phase !== 'bake' || step === undefined || !gate) break;
        const limits = stepLimits(view, step);
        const measurement = d as unknown as Measurement;
        limits.counter.record([measurement]);
        if (!limits.gates.includes(gate)) limits.gates.push(gate);
        limits.last.set(gate, measurement);
        break;
      }
      case EventType.analysisHold: {
        // The end of a hold resets the consecutive-error counts, as the bake did when it recorded it.
        const step = num(d.step);
        if (d.holding === false && step !== undefined) view.limits.get(step)?.counter.resetErrors();
        break;
      }
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
        // A failed onRollback hook is not done: finishing an incomplete rollback runs it again.
        if (d.point === 'onRollback') {
          if (view.rollback && d.ok === true) view.rollback.onRollbackDone.add(id);
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
        view.awaitingApproval = { step: num(d.step) ?? view.step, key: event.seq, reason: str(d.reason) ?? '', planned: d.planned === true, request: event };
        if (d.planned === true) plannedRequests.add(event.seq);
        break;
      case EventType.approvalGranted: {
        const step = num(d.step);
        view.lastDecision = { step: step ?? view.step, key: num(d.key) ?? -1, decision: str(d.decision) ?? '', by: str(d.by) ?? '', at: event.at };
        if (step !== undefined && d.decision === 'approve') {
          // A planned approval lets the step go on; any other (inconclusive, failed without auto
          // rollback) is a person deciding that the bake is over.
          if (plannedRequests.has(num(d.key) ?? -1)) view.approvedSteps.add(step);
          else view.bakedSteps.add(step);
        }
        if (view.awaitingApproval?.key === num(d.key)) view.awaitingApproval = undefined;
        if (view.status === 'paused') {
          view.status = 'running';
          view.reason = undefined;
        }
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
          incomplete: [],
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
        view.awaitingApproval = undefined;
        view.reason = Array.isArray(d.warnings) && d.warnings.length > 0 ? `promoted with warnings: ${d.warnings.map(String).join('; ')}` : undefined;
        break;
      case EventType.rolledBack:
        view.status = 'rolled_back';
        view.reason = str(d.reason) ?? view.reason;
        view.aborted = false;
        if (view.rollback) view.rollback.incomplete = Array.isArray(d.incomplete) ? d.incomplete.map(String) : [];
        break;
      case EventType.rollbackFailed:
        view.status = 'failed';
        view.reason = str(d.reason) ?? view.reason;
        break;
      case EventType.aborted:
        view.status = 'aborted';
        view.aborted = true;
        view.reason = str(d.reason) ?? view.reason;
        break;
      default:
        break;
    }
  }
}
