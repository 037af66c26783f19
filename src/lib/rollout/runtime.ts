/**
 * What one runner process holds while it drives a rollout: the store, the event log, the plan,
 * the Prometheus client, the lock, and the two stop signals.
 *
 * - `stop` ends the forward path (abort request, first Ctrl-C): the engine then rolls back.
 * - `hardStop` ends everything, rollback included (second Ctrl-C, rollback time bound, lock lost):
 *   the engine then records an `aborted` state saying where traffic is.
 */
import { maskSecretValues } from '../redact.js';
import type { runAction as RunActionFn } from '../actions/run-action.js';
import type { RolloutLog } from '../log/rollout-log.js';
import type { PrometheusApi } from '../prometheus/types.js';
import type { ResolvedPlan } from '../plan/types.js';
import type { AbortSource, RolloutEvent, StateStore } from '../state/types.js';
import type { RollbackTrigger } from './events.js';

export type ApprovalAnswer = 'approve' | 'rollback' | 'wait';

/** Asks a person at the terminal; resolves 'wait' to keep waiting for `rollout approve`. Aborts with the signal. */
export type Prompter = (question: { step: number; weight: number; reason: string; rolloutId: string }, signal: AbortSignal) => Promise<ApprovalAnswer>;

export interface StopRequest {
  trigger: RollbackTrigger;
  reason: string;
  by: string;
  severity?: string;
  /** When the request was made (abort requests from another process). */
  requestedAt?: string;
  /** The alert that asked (abort requests from `rollgate serve`), recorded with the abort event. */
  source?: AbortSource;
}

export interface RunnerOptions {
  dryRun: boolean;
  onApproval: 'wait' | 'exit';
  approvalTimeoutMs: number;
  /** How often the store is polled for approvals (ms). */
  pollMs: number;
}

export interface RolloutRuntime {
  rolloutId: string;
  plan: ResolvedPlan;
  store: StateStore;
  /** The rollout's log and its reduced view: where the engine reads where it is. */
  log: RolloutLog;
  prometheus: PrometheusApi;
  runAction: typeof RunActionFn;
  operator: string;
  options: RunnerOptions;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Secret values to redact from action output. */
  secrets: string[];
  prompter?: Prompter;
  stop: AbortController;
  stopRequest: StopRequest | undefined;
  /** An approval request still open when this runner took over (key = seq of its event). */
  pendingApproval: { step: number; key: number; planned: boolean; request?: RolloutEvent } | undefined;
  hardStop: AbortController;
  /** The service lock's owner token this runner holds. */
  lockToken: string;
  /** Highest weight a traffic action was asked for since the last confirmed change (in memory, for when the store is gone). */
  weightAtRisk: number;
  /** The recorded (or being recorded) rollback intent: recorded once, before anything that follows it. */
  rollbackIntent: Promise<unknown> | undefined;
  /** Called after each event is durably appended (the Ui renders it). */
  onEvent: (event: RolloutEvent) => void;
}

/** Ends the forward path with a reason; the first request wins. */
export function requestStop(rt: RolloutRuntime, request: StopRequest): void {
  if (rt.stopRequest) return;
  rt.stopRequest = request;
  rt.stop.abort();
}

/**
 * Appends an event (durably, hash-chained; the record is derived from the view by the log), then
 * tells the Ui. Appends keep the order of the calls, also when callers do not await each other.
 */
export async function record(rt: RolloutRuntime, type: string, data: Record<string, unknown>): Promise<RolloutEvent> {
  // RolloutLog.append sanitises (NaN, Infinity, undefined) before hashing. Secret var values may
  // stand in a gate query or an action's output: they never reach the log.
  const event = await rt.log.append(type, maskSecretValues(data, rt.secrets));
  rt.onEvent(event);
  return event;
}

/** Vars available to actions: the plan's vars plus run-time ones. */
export function actionVars(rt: RolloutRuntime, extra: Record<string, string>): Record<string, string> {
  return { ...rt.plan.vars, rolloutId: rt.rolloutId, ...extra };
}
