/**
 * What one runner process holds while it drives a rollout: the store, the event log, the plan,
 * the Prometheus client, the lock, and the two stop signals.
 *
 * - `stop` ends the forward path (abort request, first Ctrl-C): the engine then rolls back.
 * - `hardStop` ends everything, rollback included (second Ctrl-C, rollback time bound, lock lost):
 *   the engine then records an `aborted` state saying where traffic is.
 */
import type { runAction as RunActionFn } from '../actions/run-action.js';
import type { EventLog } from '../evidence/chain.js';
import type { PrometheusApi } from '../prometheus/types.js';
import type { ResolvedPlan } from '../plan/types.js';
import type { AbortSource, RolloutEvent, RolloutStatus, StateStore } from '../state/types.js';
import type { RollbackTrigger } from './events.js';

export type ApprovalAnswer = 'approve' | 'rollback' | 'wait';

/** Asks a person at the terminal; resolves 'wait' to keep waiting for `rollout approve`. Aborts with the signal. */
export type Prompter = (question: { step: number; weight: number; reason: string }, signal: AbortSignal) => Promise<ApprovalAnswer>;

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
  log: EventLog;
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
  pendingApproval: { step: number; key: number; planned: boolean } | undefined;
  hardStop: AbortController;
  /** The service lock's owner token this runner holds. */
  lockToken: string;
  /** Highest weight a traffic action was asked for since the last confirmed change (in memory, for when the store is gone). */
  weightAtRisk: number;
  /** Appends are serialised through this chain: the log has one writer, but several async callers. */
  writeQueue: Promise<unknown>;
  /** Called after each event is durably appended (the Ui renders it). */
  onEvent: (event: RolloutEvent) => void;
}

/** Ends the forward path with a reason; the first request wins. */
export function requestStop(rt: RolloutRuntime, request: StopRequest): void {
  if (rt.stopRequest) return;
  rt.stopRequest = request;
  rt.stop.abort();
}

/** Appends an event (durably, hash-chained), refreshes the index record, then tells the Ui. */
export async function record(
  rt: RolloutRuntime,
  type: string,
  data: Record<string, unknown>,
  index?: { status?: RolloutStatus; step?: number; weight?: number; reason?: string },
): Promise<RolloutEvent> {
  const write = rt.writeQueue.then(async () => {
    // EventLog.append sanitises (NaN, Infinity, undefined) before hashing.
    const event = await rt.log.append(type, data);
    if (index) await rt.store.updateRollout(rt.rolloutId, { ...index, updatedAt: event.at });
    return event;
  });
  rt.writeQueue = write.catch(() => undefined);
  const event = await write;
  rt.onEvent(event);
  return event;
}

/** Vars available to actions: the plan's vars plus run-time ones. */
export function actionVars(rt: RolloutRuntime, extra: Record<string, string>): Record<string, string> {
  return { ...rt.plan.vars, rolloutId: rt.rolloutId, ...extra };
}
